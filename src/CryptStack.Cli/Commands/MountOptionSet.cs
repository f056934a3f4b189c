using System.CommandLine;
using System.Globalization;
using CryptStack.Fuse;
using CryptStack.Stack;

namespace CryptStack.Cli.Commands;

/// <summary>The options every mounting command shares (-f, -o, --idle, ...) and their meaning.</summary>
internal sealed partial class MountOptionSet
{
    public Option<bool> Foreground { get; } = new("--foreground", "-f") { Description = "Stay in the foreground; logs go to stderr" };
    public Option<string[]> Options { get; } = new("-o")
    {
        Description = "Mount options, comma separated: ro, allow_other, nonempty, shared (storage used by other hosts too: no kernel caching), direct_io, fsname=NAME, attr_timeout=SECONDS, entry_timeout=SECONDS, transport=auto|dev|uring (FUSE over io_uring when the kernel offers it), nopassthrough (mirror: the daemon serves file data); and the kernel's nosuid, nodev, noexec, noatime, sync, dirsync (and their opposites)",
        AllowMultipleArgumentsPerToken = false,
    };
    public Option<string?> PidFile { get; } = new("--pid-file") { Description = "Write the daemon's process id to this file while mounted" };
    public Option<string?> LogFile { get; } = new("--log-file") { Description = "Also append the daemon's log to this file" };
    public Option<string?> Idle { get; } = new("--idle", "-i") { Description = "Unmount after this long without use: no open file and no open, create or listing (stat does not count). Go durations: 90s, 10m, 1h30m; 0: never", HelpName = "DURATION" };
    public Option<bool> Debug { get; } = new("--debug") { Description = "Debug logging, with one line per FUSE request and reply (no file names or contents)" };
    public Option<bool> DebugNames { get; } = new("--debug-names") { Description = "With --debug: also print file names (in plaintext) in the request log" };
    public Option<bool> NotifyReady { get; } = new(Daemon.DaemonLauncher.NotifyReadyOption) { Hidden = true };

    public void AddTo(Command command)
    {
        command.Options.Add(Foreground);
        command.Options.Add(Options);
        command.Options.Add(PidFile);
        command.Options.Add(LogFile);
        command.Options.Add(Idle);
        command.Options.Add(Debug);
        command.Options.Add(DebugNames);
        command.Options.Add(NotifyReady);
    }

    /// <summary>Generic mount flags handed to the kernel as mount(2) flags (fstab lines carry them).</summary>
    private static readonly HashSet<string> KernelFlags =
    [
        "suid", "nosuid", "dev", "nodev", "exec", "noexec", "noatime", "nodiratime", "strictatime", "nostrictatime",
        "sync", "async", "dirsync",
    ];

    /// <param name="Shared">-o shared: the backing storage is also used by other hosts or mounts.</param>
    /// <param name="Passthrough">-o passthrough / nopassthrough, when given (the mirror's default is on).</param>
    public sealed record Parsed(MountOptions Mount, bool Shared, bool AllowNonEmpty, TimeSpan? Idle, bool? Passthrough = null);

    public Parsed Parse(ParseResult result, string source)
    {
        var mount = new MountOptions { FsName = source, LogNames = result.GetValue(DebugNames) };
        bool shared = false;
        bool? passthrough = null;
        bool nonEmpty = false;
        foreach (string group in result.GetValue(Options) ?? [])
        foreach (string raw in group.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string key = raw, value = "";
            int eq = raw.IndexOf('=');
            if (eq >= 0) { key = raw[..eq]; value = raw[(eq + 1)..]; }
            mount = key switch
            {
                "ro" => mount with { ReadOnly = true },
                "rw" => mount with { ReadOnly = false },
                "allow_other" => mount with { AllowOther = true },
                "default_permissions" => mount,
                "direct_io" => mount with { DirectIo = true },
                "fsname" => mount with { FsName = value },
                "attr_timeout" => mount with { AttrTimeout = Seconds(key, value) },
                "entry_timeout" => mount with { EntryTimeout = Seconds(key, value) },
                "shared" => mount with { AttrTimeout = 0, EntryTimeout = 0, NegativeTimeout = 0, AutoCache = false, DirectIo = true },
                "nonempty" => mount,
                "transport" => mount with { Transport = value switch
                {
                    "auto" => FuseTransport.Auto,
                    "dev" or "dev_fuse" => FuseTransport.DevFuse,
                    "uring" or "io_uring" => FuseTransport.IoUring,
                    _ => throw new CliException(ExitCodes.Usage, $"-o transport= takes auto, dev or uring, not '{value}'"),
                } },
                "passthrough" or "nopassthrough" => mount,
                _ when KernelFlags.Contains(key) && eq < 0 => mount with { Extra = [.. mount.Extra, key] },
                _ => throw new CliException(ExitCodes.Usage, $"unknown mount option '{raw}' (see --help)"),
            };
            if (key == "nonempty") nonEmpty = true;
            if (key == "shared") shared = true;
            if (key == "passthrough") passthrough = true;
            if (key == "nopassthrough") passthrough = false;
        }
        if (shared && CryptStack.Stack.SharedStorageCheck.Problem(source) is { } problem)
            throw new CliException(ExitCodes.Refused, "-o shared: " + problem);
        return new Parsed(mount, shared, nonEmpty, ParseDuration(result.GetValue(Idle)), passthrough);
    }

    private static double Seconds(string key, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s >= 0
            ? s
            : throw new CliException(ExitCodes.Usage, $"-o {key}= needs a number of seconds, not '{value}'");

    public static string? AbsoluteOrNull(string? path) => path == null ? null : Path.GetFullPath(path);

    /// <summary>
    /// --pid-file and --log-file, checked before a secret is asked for or a KDF runs: a daemon that cannot
    /// write them would otherwise fail after unlocking, with a raw .NET message.
    /// </summary>
    public void CheckDaemonFiles(ParseResult result)
    {
        foreach (Option<string?> option in new[] { PidFile, LogFile })
        {
            if (AbsoluteOrNull(result.GetValue(option)) is not { } path) continue;
            string? problem = ProblemWith(path);
            if (problem != null) throw new CliException(ExitCodes.Usage, $"{option.Name} {path}: {problem}");
        }
    }

    private static string? ProblemWith(string path)
    {
        var info = new FileInfo(path);
        if (Directory.Exists(path)) return "is a directory";
        if (info.LinkTarget != null) return "is a symbolic link (refused: the daemon does not follow links for its files)";
        string dir = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(dir)) return $"directory {dir} does not exist";
        if (!Daemon.Posix.CanWrite(info.Exists ? path : dir)) return info.Exists ? "not writable" : $"directory {dir} is not writable";
        return null;
    }

    /// <summary>
    /// A duration as Go (and so gocryptfs' -idle) writes it: "90s", "10m", "1h30m", "500ms", "1.5h"; a bare
    /// number is seconds. "0" (or "0s") means never: no idle unmount. Null for no option.
    /// </summary>
    public static TimeSpan? ParseDuration(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        text = text.Trim();
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double bare) && bare >= 0)
            return bare == 0 ? null : TimeSpan.FromSeconds(bare);
        var parts = DurationPart().Matches(text);
        if (parts.Count == 0 || string.Concat(parts.Select(m => m.Value)) != text)
            throw new CliException(ExitCodes.Usage, $"--idle: '{text}' is not a duration (examples: 90s, 10m, 1h30m, 500ms; 0 turns it off)");
        double seconds = parts.Sum(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) * m.Groups[2].Value switch
        {
            "h" => 3600,
            "m" => 60,
            "s" => 1,
            "ms" => 1e-3,
            "us" or "µs" => 1e-6,
            _ => 1e-9,
        });
        return seconds == 0 ? null : TimeSpan.FromSeconds(seconds);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)")]
    private static partial System.Text.RegularExpressions.Regex DurationPart();
}
