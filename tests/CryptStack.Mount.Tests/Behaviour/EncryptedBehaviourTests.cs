using CryptStack.Mount.Tests.Harness;

namespace CryptStack.Mount.Tests.Behaviour;

/// <summary>The shared behaviour suite on the encrypted mount (`cryptstack mount`).</summary>
public sealed class EncryptedBehaviourTests(SharedMount shared) : FilesystemBehaviour(shared)
{
    protected override TestMount CreateMount(params string[] extraArgs) => TestVolumes.Mount(extraArgs);
}
