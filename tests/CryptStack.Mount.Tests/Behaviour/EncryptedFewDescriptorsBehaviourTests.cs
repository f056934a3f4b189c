using CryptStack.Mount.Tests.Harness;

namespace CryptStack.Mount.Tests.Behaviour;

/// <summary>
/// The shared behaviour suite on `cryptstack mount` started with a descriptor limit of 400 (144
/// node descriptors): the encryption layer's per-directory state and long-name files under constant
/// closing and reopening of node descriptors.
/// </summary>
public sealed class EncryptedFewDescriptorsBehaviourTests(SharedMount shared) : FilesystemBehaviour(shared)
{
    protected override TestMount CreateMount(params string[] extraArgs) => TestVolumes.MountThrough(FewDescriptors.Launcher, extraArgs);

    protected override bool HolesMatchBackingFilesystem => false;

    /// <summary>Whatever order the suite runs in, the shared mount goes past its budget here.</summary>
    [Fact]
    public void The_mount_runs_past_its_node_descriptor_budget() => FewDescriptors.AssertRunsPastBudget(Mount, NewDir());
}
