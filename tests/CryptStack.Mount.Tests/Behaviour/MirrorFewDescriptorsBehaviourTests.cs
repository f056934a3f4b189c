using CryptStack.Mount.Tests.Harness;

namespace CryptStack.Mount.Tests.Behaviour;

/// <summary>
/// The shared behaviour suite on `cryptstack mirror` started with a descriptor limit of 400: 144
/// node descriptors, far fewer than the nodes the suite leaves in the kernel's cache, so node
/// descriptors are closed and reopened by name throughout (docs/architecture.md, "Descriptor budget").
/// </summary>
public sealed class MirrorFewDescriptorsBehaviourTests(SharedMount shared) : FilesystemBehaviour(shared)
{
    protected override TestMount CreateMount(params string[] extraArgs) =>
        TestMount.Start(m => ["mirror", m.Backing, m.MountPoint, .. extraArgs], launcher: FewDescriptors.Launcher);

    /// <summary>Whatever order the suite runs in, the shared mount goes past its budget here.</summary>
    [Fact]
    public void The_mount_runs_past_its_node_descriptor_budget() => FewDescriptors.AssertRunsPastBudget(Mount, NewDir());
}
