using CryptStack.Crypto;
using CryptStack.Crypto.Names;
using CryptStack.Stack;
using CryptStack.Volume;
using Microsoft.Extensions.Logging;

namespace CryptStack.Encryption;

public sealed record EncryptionOptions
{
    /// <summary>
    /// Storage shared with other hosts: nothing is cached between requests, and a backing-file lock means
    /// fresh bytes (the host's page cache of the file is dropped after taking it, written data is
    /// fdatasync'ed before a write lock is released; docs/architecture.md).
    /// </summary>
    public bool SharedStorage { get; init; }

    /// <summary>Also told, as data, of everything the layer finds damaged (offline tools); the mount only logs.</summary>
    public IDamageObserver? Damage { get; init; }
}

/// <summary>
/// The encryption layer: fills the stack's three extension points (content, names, sizes) from an
/// unlocked volume and reuses everything else of the stack. Dispose zeroes every key it derived.
/// </summary>
public sealed class EncryptionLayer : IDisposable
{
    private readonly SecretKey _headerKey;
    private readonly NameCodec _names;
    private readonly LinkTargetCodec _links;
    private readonly XattrCodec _xattrs;
    private readonly DirectoryIdCodec? _dirIds;

    /// <summary>The volume's format: which protections its version has (<see cref="VolumeFormat.MissingProtections"/>).</summary>
    public VolumeFormat Format { get; }
    private readonly PreviousKeyCodecs? _previous;

    public StackTransforms Transforms { get; }

    public EncryptionLayer(UnlockedVolume volume, ILoggerFactory loggers, EncryptionOptions options)
    {
        var log = loggers.CreateLogger("cryptstack");
        _headerKey = volume.Keys.DeriveContentHeaderKey();
        _names = NameCodec.FromKeys(volume.Keys);
        _links = LinkTargetCodec.FromKeys(volume.Keys);
        _xattrs = XattrCodec.FromKeys(volume.Keys);
        Format = VolumeFormat.Of(volume.Config);
        _dirIds = Format.BindsDirectoryIds ? DirectoryIdCodec.FromKeys(volume.Keys) : null;
        foreach (string missing in Format.MissingProtections)
            log.LogInformation("volume format version {Version}: {Missing}", Format.Version, missing);
        if (volume.PreviousKeys is { } previousKeys) _previous = PreviousKeyCodecs.From(previousKeys);
        Transforms = new StackTransforms(
            new EncryptedContentTransform(_headerKey, log, options.Damage ?? NoDamageObserver.Instance, new LockPolicy(options.SharedStorage, log), _previous?.HeaderKey),
            new EncryptedNameTransform(_names, _links, _xattrs, _dirIds, log, options.Damage ?? NoDamageObserver.Instance, _previous),
            EncryptedSizeMap.Instance);
    }

    public void Dispose()
    {
        _headerKey.Dispose();
        _names.Dispose();
        _links.Dispose();
        _xattrs.Dispose();
        _dirIds?.Dispose();
        _previous?.Dispose();
    }
}

/// <summary>
/// The codecs of the previous master key while `cryptstack rekey` has not finished (format.md section 4.2): every
/// decoder tries the current key first and these second; nothing is ever encoded with them.
/// </summary>
internal sealed class PreviousKeyCodecs(SecretKey headerKey, NameCodec names, LinkTargetCodec links, XattrCodec xattrs) : IDisposable
{
    public SecretKey HeaderKey { get; } = headerKey;
    public NameCodec Names { get; } = names;
    public LinkTargetCodec Links { get; } = links;
    public XattrCodec Xattrs { get; } = xattrs;

    public static PreviousKeyCodecs From(Crypto.Keys.KeyHierarchy keys) =>
        new(keys.DeriveContentHeaderKey(), NameCodec.FromKeys(keys), LinkTargetCodec.FromKeys(keys), XattrCodec.FromKeys(keys));

    public void Dispose()
    {
        HeaderKey.Dispose();
        Names.Dispose();
        Links.Dispose();
        Xattrs.Dispose();
    }
}
