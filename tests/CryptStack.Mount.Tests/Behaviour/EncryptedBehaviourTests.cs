using CryptStack.Mount.Tests.Harness;

namespace CryptStack.Mount.Tests.Behaviour;

/// <summary>The shared behaviour suite on the encrypted mount (`cryptstack mount`).</summary>
public sealed class EncryptedBehaviourTests(SharedMount shared) : FilesystemBehaviour(shared)
{
    protected override TestMount CreateMount(params string[] extraArgs) => TestVolumes.Mount(extraArgs);

    // The last block of an encrypted file is always stored as data (docs/format-content.md), so a
    // file ending in a hole shows data where the plain file shows ENXIO.
    protected override bool HolesMatchBackingFilesystem => false;
}
