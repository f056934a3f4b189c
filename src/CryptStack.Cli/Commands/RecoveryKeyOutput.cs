using System.CommandLine;
using CryptStack.Cli.Output;

namespace CryptStack.Cli.Commands;

/// <summary>
/// Where a new recovery key goes (init, key add --recovery). On a terminal it is printed once. When
/// stdout is not a terminal it would end up in a CI log, a pipe or a file nobody meant to keep, so
/// the user says where: `--recovery-key-file FILE` (created 0600, never overwritten) or
/// `--print-recovery-key` (print it anyway). Checked before any secret is asked for.
/// </summary>
internal sealed class RecoveryKeyOutput
{
    public Option<string?> File { get; } = new("--recovery-key-file") { Description = "Write the recovery key to FILE (created with mode 0600; an existing file is refused) instead of printing it", HelpName = "FILE" };
    public Option<bool> Print { get; } = new("--print-recovery-key") { Description = "Print the recovery key even when stdout is not a terminal" };

    public void AddTo(Command command)
    {
        command.Options.Add(File);
        command.Options.Add(Print);
    }

    /// <summary>Refuses, before anything is changed, a key that would go nowhere safe.</summary>
    public void Check(ParseResult result)
    {
        string? file = result.GetValue(File);
        if (file != null && result.GetValue(Print))
            throw new CliException(ExitCodes.Usage, $"{File.Name} and {Print.Name} both say where the recovery key goes; use one");
        if (file != null && Path.Exists(file))
            throw new CliException(ExitCodes.Refused, $"{file}: exists; {File.Name} does not overwrite files");
        if (file == null && !result.GetValue(Print) && !StandardStreams.StdoutIsTerminal)
            throw new CliException(ExitCodes.Usage,
                $"stdout is not a terminal, and the recovery key printed there could end up in a log: give {File.Name} FILE (written with mode 0600), or {Print.Name} to print it anyway");
    }

    public void Deliver(ParseResult result, string recoveryKey, string purpose)
    {
        if (result.GetValue(File) is { } file)
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
            };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            try
            {
                using var writer = new StreamWriter(file, new System.Text.UTF8Encoding(false), options);
                writer.Write(recoveryKey + "\n");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliException(ExitCodes.Error, $"{file}: cannot write the recovery key ({e.Message}); the volume was changed: add a new recovery key with `cryptstack key add --recovery`");
            }
            Console.Out.WriteLine();
            Console.Out.WriteLine($"Recovery key written to {Path.GetFullPath(file)} (mode 0600). Keep it away from this volume: it opens the volume");
            Console.Out.WriteLine($"{purpose}, and anyone who has it can read the files.");
            return;
        }
        VolumeCommandSupport.WriteRecoveryKey(Console.Out, recoveryKey, purpose);
    }
}
