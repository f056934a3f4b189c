using CryptStack.Volume;

namespace CryptStack.Cli;

/// <summary>Process exit codes; each failure a script may want to tell apart has its own (docs/cli.md).</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Error = 1;
    public const int Usage = 2;
    public const int WrongSecret = 10;
    public const int NotAVolume = 11;
    public const int AlreadyMounted = 12;
    public const int MountPointNotEmpty = 13;
    public const int FuseMissing = 14;
    public const int CorruptConfig = 15;
    public const int MountFailed = 16;
    public const int NotMounted = 17;
    public const int Refused = 18;
    public const int Unsupported = 19;
    public const int InvalidSecret = 20;
    public const int SecretUnavailable = 21;
    public const int CipherDirNotEmpty = 22;
    public const int Incomplete = 23;
    public const int DestinationNotEmpty = 24;
    public const int NoSuchPath = 25;

    /// <summary>The exit code for a failure of the volume library.</summary>
    public static int For(VolumeErrorKind kind) => kind switch
    {
        VolumeErrorKind.WrongSecret => WrongSecret,
        VolumeErrorKind.NotAVolume => NotAVolume,
        VolumeErrorKind.CorruptConfig => CorruptConfig,
        VolumeErrorKind.Unsupported => Unsupported,
        VolumeErrorKind.InvalidSecret => InvalidSecret,
        VolumeErrorKind.Refused => Refused,
        VolumeErrorKind.InvalidArgument => Usage,
        VolumeErrorKind.DirectoryNotEmpty => CipherDirNotEmpty,
        _ => Error,
    };

    /// <summary>The exit code for a failure of the offline tools (decrypt, ls, cat, path).</summary>
    public static int For(Offline.OfflineErrorKind kind) => kind switch
    {
        Offline.OfflineErrorKind.NoSuchPath => NoSuchPath,
        Offline.OfflineErrorKind.DestinationNotEmpty => DestinationNotEmpty,
        Offline.OfflineErrorKind.Damaged => Incomplete,
        Offline.OfflineErrorKind.InvalidPath => Usage,
        _ => Error,
    };
}

/// <summary>A failure the user can act on, with the exit code that reports it.</summary>
public sealed class CliException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
