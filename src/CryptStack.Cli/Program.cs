using System.CommandLine;
using System.CommandLine.Help;
using CryptStack.Cli;
using CryptStack.Cli.Commands;
using CryptStack.Cli.Output;
using CryptStack.Volume;

// Before any secret is read: no core file and no ptrace of a process that may hold keys.
CryptStack.Cli.Daemon.ProcessHardening.Apply();
StandardStreams.Install();
var root = new RootCommand("CryptStack: an encrypting stacked filesystem")
{
    MountCommand.Create(),
    MirrorCommand.Create(),
    UnmountCommand.Create(),
    InitCommand.Create(),
    PasswdCommand.Create(),
    KeyCommand.Create(),
    RecoverCommand.Create(),
    InfoCommand.Create(),
    StatusCommand.Create(),
    DecryptCommand.Create(),
    LsCommand.Create(),
    CatCommand.Create(),
    PathCommand.Create(),
    ConfigCommand.Create(),
    FsckCommand.Create(),
    RekeyCommand.Create(),
};
root.Subcommands.Add(ManCommand.Create(root));

try
{
    // Help wraps at Console.WindowWidth by default, and asking for it initialises the terminal (StandardStreams).
    foreach (var help in root.Options.OfType<HelpOption>())
        if (help.Action is HelpAction action) action.MaxWidth = StandardStreams.Columns(int.MaxValue);
    // No POSIX bundling: gocryptfs' `-fg` would read as `-f -g` and the error would blame "g".
    var parse = root.Parse(args, new ParserConfiguration { EnablePosixBundling = false });
    // Before the parser's own errors, which blame the word after an unknown option.
    if (OptionWords.FindUnknown(parse) is { } unknown)
    {
        Console.Error.WriteLine($"cryptstack: {unknown}");
        return ExitCodes.Usage;
    }
    int exitCode = parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
    if (parse.Errors.Count == 0 && parse.Action is HelpAction) HelpText.WriteExitCodes(Console.Out);
    // System.CommandLine reports its own parse errors with 1; ours is Usage (docs/cli.md).
    return parse.Errors.Count > 0 ? ExitCodes.Usage : exitCode;
}
catch (CliException e)
{
    Console.Error.WriteLine($"cryptstack: {e.Message}");
    return e.ExitCode;
}
catch (VolumeException e)
{
    Console.Error.WriteLine($"cryptstack: {e.Message}");
    return ExitCodes.For(e.Kind);
}
catch (CryptStack.Offline.OfflineException e)
{
    Console.Error.WriteLine($"cryptstack: {e.Message}");
    return ExitCodes.For(e.Kind);
}
