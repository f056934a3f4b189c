using CryptStack.Fuse;
using CryptStack.Stack;
using Microsoft.Extensions.Logging;

namespace CryptStack.Cli.Daemon;

/// <summary>What the daemon serves and how: built by a command, run by <see cref="MountService"/>.</summary>
internal sealed class MountJob
{
    public required string MountPoint { get; init; }
    public required MountOptions Options { get; init; }
    /// <summary>Builds the filesystem; runs in the daemon, so secrets are opened there.</summary>
    public required Func<ILoggerFactory, InodeStackFileSystem> CreateFileSystem { get; init; }
    /// <summary>Runs when the filesystem is no longer served (zero key buffers, ...).</summary>
    public Action? Cleanup { get; init; }
    public bool NotifyParent { get; init; }
    /// <summary>-o shared: shown by `status` (the kernel's mount table cannot show our own options).</summary>
    public bool Shared { get; init; }
    public string? PidFile { get; init; }
    /// <summary>Also append log lines to this file.</summary>
    public string? LogFile { get; init; }
    /// <summary>Unmount after this long without file activity.</summary>
    public TimeSpan? Idle { get; init; }
}
