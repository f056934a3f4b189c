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
    public const int ProblemsFound = 26;
    public const int ProblemsRepaired = 27;

    /// <summary>
    /// Every code with its meaning and what gocryptfs 2.3 returns in the same situation (measured on
    /// Debian 12), for --help, the man page and docs/cli.md: scripts written for gocryptfs need the mapping.
    /// </summary>
    public static readonly IReadOnlyList<ExitCodeInfo> Table =
    [
        new(Ok, "success", "0"),
        new(Error, "any other failure (I/O error, cannot write a file, ...)", "11"),
        new(Usage, "bad command line: unknown option, missing argument, mount point inside CIPHERDIR, ...", "1"),
        new(WrongSecret, "the secret opens no keyslot", "12"),
        new(NotAVolume, "no cryptstack.conf (nor its backup) in the directory", "11"),
        new(AlreadyMounted, "something is already mounted on the mount point", "0 (mounts on top)"),
        new(MountPointNotEmpty, "the mount point is not empty (-o nonempty overrides)", "10"),
        new(FuseMissing, "/dev/fuse is missing, or fusermount3 for a user other than root", "19"),
        new(CorruptConfig, "cryptstack.conf is malformed or fails authentication", "11"),
        new(MountFailed, "the kernel or the mount daemon refused the mount", "19"),
        new(NotMounted, "unmount: no FUSE mount there", "- (fusermount3 -u: 1)"),
        new(Refused, "refused: it would lose access or data, or unmount a mount that is not ours", "-"),
        new(Unsupported, "the volume needs a newer CryptStack", "27"),
        new(InvalidSecret, "the secret is unusable: empty, too short, a recovery key typo, prompts differ", "9"),
        new(SecretUnavailable, "the secret could not be read (--passfile, --extpass, stdin)", "9"),
        new(CipherDirNotEmpty, "init: the directory is not empty", "6"),
        new(Incomplete, "decrypt, ls, cat: something was damaged and skipped", "26 (fsck)"),
        new(DestinationNotEmpty, "decrypt: DEST is not empty", "-"),
        new(NoSuchPath, "decrypt, ls, cat, path: no such path in the volume", "-"),
        new(ProblemsFound, "fsck: problems found (with --repair: not all repaired)", "26 (fsck)"),
        new(ProblemsRepaired, "fsck --repair: every problem found was repaired", "-"),
    ];

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

/// <summary>One row of the exit code table: our code, what it means, gocryptfs' code for the same case.</summary>
public sealed record ExitCodeInfo(int Code, string Meaning, string Gocryptfs);

/// <summary>A failure the user can act on, with the exit code that reports it.</summary>
public sealed class CliException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
