using System.CommandLine;
using CryptStack.Volume;

namespace CryptStack.Cli.Secrets;

/// <summary>
/// One secret a command needs, and the options that say where it comes from. At most one of
/// --passfile FILE (first line), --extpass CMD (first line of its stdout) and --keyfile FILE (every
/// byte); with none, a prompt without echo on a terminal, or one line of stdin when stdin is not a
/// terminal. A secret is never an argument: arguments show in ps and in shell history.
/// </summary>
/// <remarks>
/// A command that starts the mount daemon passes the secret on: <see cref="ReadExistingInput"/> in the
/// parent, then <c>DaemonLauncher.Start([.. args, .. input.DaemonArguments], input.Bytes)</c>. The child
/// sees the hidden <c>--secret-stdin KIND</c>, which wins over the other sources, and reads the bytes
/// from its stdin to EOF.
/// </remarks>
public sealed class SecretOptions
{
    public const string SecretStdinOption = "--secret-stdin";

    private readonly string _prompt;
    private readonly KeyslotKind? _fixedKind;

    private SecretOptions(string prompt, KeyslotKind? fixedKind)
    {
        _prompt = prompt;
        _fixedKind = fixedKind;
    }

    public Option<string?>? PassFile { get; private init; }
    public Option<string?>? ExtPass { get; private init; }
    public Option<string?>? KeyFile { get; private init; }
    /// <summary>"The secret given is the recovery key": read like a passphrase, parsed as a recovery key.</summary>
    public Option<bool>? IsRecoveryKey { get; private init; }
    public Option<string?>? SecretStdin { get; private init; }
    /// <summary>"The recovery key is the first line of FILE" (recover's spelling), beside the other sources.</summary>
    public Option<string?>? RecoveryFile { get; private init; }

    /// <summary>The secret that opens a volume: --passfile, --extpass, --keyfile, --recovery-key, and the daemon's hidden --secret-stdin.</summary>
    public static SecretOptions ForOpening() => new("Passphrase: ", null)
    {
        PassFile = new Option<string?>("--passfile") { Description = "Read the passphrase from the first line of FILE", HelpName = "FILE" },
        ExtPass = new Option<string?>("--extpass") { Description = "Run CMD with /bin/sh -c; the first line of its output is the passphrase", HelpName = "CMD" },
        KeyFile = new Option<string?>("--keyfile") { Description = "Open with a key file (every byte of FILE is the key)", HelpName = "FILE" },
        IsRecoveryKey = new Option<bool>("--recovery-key") { Description = "The secret (prompt, stdin, --passfile or --extpass) is the recovery key" },
        SecretStdin = new Option<string?>(SecretStdinOption) { Hidden = true },
    };

    /// <summary>The secret that opens a volume for reading its files offline: as <see cref="ForOpening"/>, and --recovery-file.</summary>
    public static SecretOptions ForReading()
    {
        var options = ForOpening();
        return new SecretOptions(options._prompt, null)
        {
            PassFile = options.PassFile,
            ExtPass = options.ExtPass,
            KeyFile = options.KeyFile,
            IsRecoveryKey = options.IsRecoveryKey,
            RecoveryFile = new Option<string?>("--recovery-file") { Description = "Open with the recovery key on the first line of FILE (also when cryptstack.conf is lost)", HelpName = "FILE" },
        };
    }

    /// <summary>An existing secret that authorises a change (passwd, key add/remove): the --unlock-* options.</summary>
    public static SecretOptions ForUnlocking(string prompt = "Existing passphrase (any slot): ") => new(prompt, null)
    {
        PassFile = new Option<string?>("--unlock-passfile") { Description = "Unlock with the passphrase on the first line of FILE", HelpName = "FILE" },
        ExtPass = new Option<string?>("--unlock-extpass") { Description = "Unlock with the first line CMD prints (/bin/sh -c)", HelpName = "CMD" },
        KeyFile = new Option<string?>("--unlock-keyfile") { Description = "Unlock with a key file", HelpName = "FILE" },
        IsRecoveryKey = new Option<bool>("--unlock-recovery-key") { Description = "The unlock secret (prompt, stdin, --unlock-passfile or --unlock-extpass) is the recovery key" },
    };

    /// <summary>The recovery key for `recover`: --recovery-file, --recovery-extpass, or prompt/stdin.</summary>
    public static SecretOptions ForRecoveryKey() => new("Recovery key: ", KeyslotKind.Recovery)
    {
        PassFile = new Option<string?>("--recovery-file") { Description = "Read the recovery key from the first line of FILE", HelpName = "FILE" },
        ExtPass = new Option<string?>("--recovery-extpass") { Description = "Run CMD with /bin/sh -c; the first line of its output is the recovery key", HelpName = "CMD" },
    };

    /// <summary>A new secret: --passfile, --extpass and (when <paramref name="allowKeyFile"/>) --keyfile; prompts twice on a terminal.</summary>
    public static SecretOptions ForNewSecret(bool allowKeyFile) => new("New passphrase: ", null)
    {
        PassFile = new Option<string?>("--passfile") { Description = "The new passphrase is the first line of FILE", HelpName = "FILE" },
        ExtPass = new Option<string?>("--extpass") { Description = "Run CMD with /bin/sh -c; the first line of its output is the new passphrase", HelpName = "CMD" },
        KeyFile = allowKeyFile ? new Option<string?>("--keyfile") { Description = "Use a key file (32 bytes to 1 MiB, every byte counts) instead of a passphrase", HelpName = "FILE" } : null,
    };

    public void AddTo(Command command)
    {
        foreach (Option? option in new Option?[] { PassFile, ExtPass, KeyFile, IsRecoveryKey, SecretStdin, RecoveryFile })
        {
            if (option != null) command.Options.Add(option);
        }
    }

    /// <summary>True when a source option was given (so no prompt or stdin line will be used).</summary>
    public bool HasExplicitSource(ParseResult result) =>
        Value(result, PassFile) != null || Value(result, ExtPass) != null || Value(result, KeyFile) != null
        || Value(result, SecretStdin) != null || Value(result, RecoveryFile) != null;

    /// <summary>Reads a secret that should open the volume, asking once.</summary>
    public SecretInput ReadExistingInput(ParseResult result) => Read(result, confirm: false);

    /// <summary>Reads a new secret; a passphrase typed on a terminal is asked twice and must match.</summary>
    public SecretInput ReadNewInput(ParseResult result) => Read(result, confirm: true);

    public VolumeSecret ReadExisting(ParseResult result)
    {
        using SecretInput input = ReadExistingInput(result);
        return input.ToVolumeSecret();
    }

    public VolumeSecret ReadNew(ParseResult result)
    {
        using SecretInput input = ReadNewInput(result);
        return input.ToVolumeSecret();
    }

    internal static string KindName(KeyslotKind kind) => FormatConstants.KindName(kind);

    private SecretInput Read(ParseResult result, bool confirm)
    {
        var buffer = new SecretBuffer();
        try
        {
            KeyslotKind kind = ReadInto(result, buffer, confirm);
            return new SecretInput(kind, buffer);
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    private KeyslotKind ReadInto(ParseResult result, SecretBuffer buffer, bool confirm)
    {
        if (Value(result, SecretStdin) is { } stdinKind)
        {
            KeyslotKind kind = ParseKind(stdinKind);
            SecretSources.ReadStdinToEnd(buffer);
            return kind;
        }

        string? passFile = Value(result, PassFile), extPass = Value(result, ExtPass), keyFile = Value(result, KeyFile), recoveryFile = Value(result, RecoveryFile);
        var given = new[] { (PassFile, passFile), (ExtPass, extPass), (KeyFile, keyFile), (RecoveryFile, recoveryFile) }.Where(g => g.Item2 != null).ToList();
        if (given.Count > 1)
            throw new CliException(ExitCodes.Usage, $"{string.Join(" and ", given.Select(g => g.Item1!.Name))} both give the secret; use one");
        bool recovery = _fixedKind == KeyslotKind.Recovery || (IsRecoveryKey != null && result.GetValue(IsRecoveryKey));
        if (recovery && keyFile != null)
            throw new CliException(ExitCodes.Usage, $"{IsRecoveryKey!.Name} cannot be combined with {KeyFile!.Name}");
        KeyslotKind lineKind = recovery ? KeyslotKind.Recovery : KeyslotKind.Passphrase;

        if (recoveryFile != null)
        {
            SecretSources.ReadFile(recoveryFile, buffer);
            SecretSources.KeepFirstLine(buffer);
            return KeyslotKind.Recovery;
        }
        if (keyFile != null)
        {
            SecretSources.ReadFile(keyFile, buffer);
            return KeyslotKind.KeyFile;
        }
        if (passFile != null)
        {
            SecretSources.ReadFile(passFile, buffer);
            SecretSources.KeepFirstLine(buffer);
            return lineKind;
        }
        if (extPass != null)
        {
            SecretSources.RunExtPass(extPass, buffer);
            SecretSources.KeepFirstLine(buffer);
            return lineKind;
        }

        string prompt = recovery && _fixedKind == null ? "Recovery key: " : _prompt;
        if (Terminal.StdinIsTerminal)
        {
            Terminal.ReadHidden(prompt, buffer);
            if (confirm && lineKind == KeyslotKind.Passphrase)
            {
                using var again = new SecretBuffer();
                Terminal.ReadHidden("Repeat " + char.ToLowerInvariant(prompt[0]) + prompt[1..], again);
                if (!again.Span.SequenceEqual(buffer.Span))
                    throw new CliException(ExitCodes.InvalidSecret, "the passphrases do not match");
            }
            return lineKind;
        }
        // Not a terminal and no option: one line of stdin, so `echo pass | cryptstack ...` works.
        if (!Terminal.ReadLine(buffer))
            throw new CliException(ExitCodes.SecretUnavailable,
                $"no {(recovery ? "recovery key" : "passphrase")} given: stdin is not a terminal and is empty; use {string.Join(", ", new Option?[] { PassFile, ExtPass, KeyFile }.Where(o => o != null).Select(o => o!.Name))}");
        return lineKind;
    }

    private static KeyslotKind ParseKind(string name) => name switch
    {
        "passphrase" => KeyslotKind.Passphrase,
        "keyfile" => KeyslotKind.KeyFile,
        "recovery" => KeyslotKind.Recovery,
        _ => throw new CliException(ExitCodes.Usage, $"{SecretStdinOption} takes passphrase, keyfile or recovery, not '{name}'"),
    };

    private static string? Value(ParseResult result, Option<string?>? option) => option == null ? null : result.GetValue(option);
}
