using System.CommandLine;
using System.CommandLine.Parsing;

namespace CryptStack.Cli.Commands;

/// <summary>
/// Words that look like options but are none of the command's. The parser would take `-plaintextnames`
/// as a directory (and `init` would create `./-plaintextnames`) or blame the next word; we refuse such a
/// word by name before anything runs, and map gocryptfs' single-dash spellings to ours. A path that
/// starts with '-' is still possible: `./-name`, or after `--`.
/// </summary>
internal static class OptionWords
{
    /// <summary>gocryptfs' flags (without the dash) and what to do here instead.</summary>
    private static readonly Dictionary<string, string> Gocryptfs = new(StringComparer.Ordinal)
    {
        ["ro"] = "use -o ro",
        ["rw"] = "use -o rw",
        ["fg"] = "use --foreground (-f)",
        ["passfile"] = "use --passfile FILE",
        ["extpass"] = "use --extpass CMD",
        ["allow_other"] = "use -o allow_other",
        ["nonempty"] = "use -o nonempty",
        ["i"] = "use --idle DURATION",
        ["idle"] = "use --idle DURATION",
        ["ko"] = "use -o OPTIONS",
        ["dev"] = "use -o dev",
        ["nodev"] = "use -o nodev",
        ["suid"] = "use -o suid",
        ["nosuid"] = "use -o nosuid",
        ["exec"] = "use -o exec",
        ["noexec"] = "use -o noexec",
        ["sharedstorage"] = "use -o shared",
        ["d"] = "use --debug",
        ["debug"] = "use --debug",
        ["nosyslog"] = "use --foreground (logs go to stderr) or --log-file FILE",
        ["notifypid"] = "`cryptstack mount` returns once the mount is ready",
        ["q"] = "cryptstack prints only what matters (errors go to stderr)",
        ["quiet"] = "cryptstack prints only what matters (errors go to stderr)",
        ["plaintextnames"] = "CryptStack always encrypts names",
        ["longnames"] = "long names are always stored in a sidecar",
        ["deterministic-names"] = "names are deterministic per directory (AES-SIV)",
        ["masterkey"] = "use --recovery-key (the recovery key takes the place of gocryptfs' master key)",
        ["scryptn"] = "use --scrypt --kdf-memory KIB",
        ["config"] = "the config is always CIPHERDIR/cryptstack.conf (`cryptstack config backup` copies it)",
        ["reverse"] = "there is no reverse mode (`cryptstack decrypt` exports the plaintext)",
        ["forcedecode"] = "use `cryptstack decrypt` (it skips what is damaged and says so)",
        ["ctlsock"] = "use `cryptstack path`",
        ["init"] = "use `cryptstack init`",
        ["passwd"] = "use `cryptstack passwd`",
        ["info"] = "use `cryptstack info`",
        ["fsck"] = "use `cryptstack fsck`",
        ["version"] = "use --version",
        ["help"] = "use --help",
    };

    /// <summary>The message for the first option-like word that is not an option here, or null when there is none.</summary>
    public static string? FindUnknown(ParseResult parse)
    {
        // Words after `--` are arguments whatever they look like.
        int doubleDash = parse.Tokens.ToList().FindIndex(t => t.Type == TokenType.DoubleDash);
        var arguments = parse.CommandResult.Children.OfType<ArgumentResult>().SelectMany(a => a.Tokens).ToHashSet();
        var suspects = parse.Tokens
            .Where((t, i) => (doubleDash < 0 || i < doubleDash) && t.Type == TokenType.Argument && LooksLikeOption(t.Value)
                && (arguments.Contains(t) || parse.UnmatchedTokens.Contains(t.Value)))
            .Select(t => t.Value);
        string? word = suspects.FirstOrDefault();
        return word == null ? null : Describe(word, parse.CommandResult.Command);
    }

    private static bool LooksLikeOption(string word) => word.Length > 1 && word[0] == '-' && word != "--" && !char.IsDigit(word[1]);

    private static string Describe(string word, Command command)
    {
        string name = word.TrimStart('-');
        int eq = name.IndexOf('=');
        if (eq >= 0) name = name[..eq];
        string commandName = command.Parents.Any() ? $"cryptstack {command.Name}" : "cryptstack";
        string ours = $"--{name}";
        bool single = !word.StartsWith("--", StringComparison.Ordinal);
        if (single && command.Options.Any(o => o.Name == ours || o.Aliases.Contains(ours)))
            return $"unknown option '{word}': options with a name take two dashes here; use {ours}";
        if (single && Gocryptfs.TryGetValue(name, out string? equivalent))
            return $"unknown option '{word}' (gocryptfs' spelling): {equivalent}";
        return $"unknown option '{word}' for {commandName} (see {commandName} --help; a path that starts with '-' can be given as ./{word})";
    }
}
