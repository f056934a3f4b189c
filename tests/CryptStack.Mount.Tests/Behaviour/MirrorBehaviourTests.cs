using CryptStack.Mount.Tests.Harness;

namespace CryptStack.Mount.Tests.Behaviour;

/// <summary>The shared behaviour suite on `cryptstack mirror`.</summary>
public sealed class MirrorBehaviourTests(SharedMount shared) : FilesystemBehaviour(shared)
{
    protected override TestMount CreateMount(params string[] extraArgs) => TestMount.Mirror(extraArgs);
}
