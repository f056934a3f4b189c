using System.CommandLine;
using System.Globalization;
using CryptStack.Fuse;
using CryptStack.Stack;

namespace CryptStack.Cli.Commands;

/// <summary>The options every mounting command shares (-f, -o, --idle, ...) and their meaning.</summary>
internal sealed class MountOptionSet
{
    public Option<bool> Foreground { get; } = new("--foreground", "-f") { Description = "Stay in the foreground; logs go to stderr" };
    public Option<string[]> Options { get; } = new("-o")
    {
        Description = "Mount options, comma separated: ro, allow_other, nonempty, shared (storage used by other hosts too: no kernel caching), direct_io, fsname=NAME, attr_timeout=SECONDS, entry_timeout=SECONDS; and the kernel's nosuid, nodev, noexec, noatime, sync, dirsync (and their opposites)",
        AllowMultipleArgumentsPerToken = false,
    };
    public Option<string?> PidFile { get; } = new("--pid-file") { Description = "Write the daemon's process id to this file while mounted" };
    public Option<string?> LogFile { get; } = new("--log-file") { Description = "Also append the daemon's log to this file" };
    public Option<string?> Idle { get; } = new("--idle") { Description = "Unmount after this long without use (e.g. 30s, 10m, 2h)" };
    public Option<bool> Debug { get; } = new("--debug") { Description = "Debug logging" };
    public Option<bool> NotifyReady { get; } = new(Daemon.DaemonLauncher.NotifyReadyOption) { Hidden = true };

    public void AddTo(Command command)
    {
        command.Options.Add(Foreground);
        command.Options.Add(Options);
        command.Options.Add(PidFile);
        command.Options.Add(LogFile);
        command.Options.Add(Idle);
        command.Options.Add(Debug);
        command.Options.Add(NotifyReady);
    }

    /// <summary>Generic mount flags libfuse hands to the kernel as they are (fstab lines carry them).</summary>
    private static readonly HashSet<string> KernelFlags =
    [
        "suid", "nosuid", "dev", "nodev", "exec", "noexec", "noatime", "nodiratime", "strictatime", "nostrictatime",
        "sync", "async", "dirsync",
    ];

    /// <param name="Shared">-o shared: the backing storage is also used by other hosts or mounts.</param>
    public sealed record Parsed(MountOptions Mount, bool Shared, bool AllowNonEmpty, TimeSpan? Idle);

    public Parsed Parse(ParseResult result, string source)
    {
        var mount = new MountOptions { FsName = source };
        bool shared = false;
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
                _ when KernelFlags.Contains(key) && eq < 0 => mount with { Extra = [.. mount.Extra, key] },
                _ => throw new CliException(ExitCodes.Usage, $"unknown mount option '{raw}' (see --help)"),
            };
            if (key == "nonempty") nonEmpty = true;
            if (key == "shared") shared = true;
        }
        if (shared && CryptStack.Stack.SharedStorageCheck.Problem(source) is { } problem)
            throw new CliException(ExitCodes.Refused, "-o shared: " + problem);
        return new Parsed(mount, shared, nonEmpty, ParseDuration(result.GetValue(Idle)));
    }

    private static double Seconds(string key, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s >= 0
            ? s
            : throw new CliException(ExitCodes.Usage, $"-o {key}= needs a number of seconds, not '{value}'");

    public static string? AbsoluteOrNull(string? path) => path == null ? null : Path.GetFullPath(path);

    public static TimeSpan? ParseDuration(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        text = text.Trim();
        char unit = text[^1];
        double factor = unit switch { 's' => 1, 'm' => 60, 'h' => 3600, _ => 0 };
        string number = factor == 0 ? text : text[..^1];
        if (factor == 0) factor = 1;
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double n) || n <= 0)
            throw new CliException(ExitCodes.Usage, $"'{text}' is not a duration (examples: 90s, 10m, 2h)");
        return TimeSpan.FromSeconds(n * factor);
    }
}
