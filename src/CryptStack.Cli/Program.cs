using System.CommandLine;
using CryptStack.Cli;
using CryptStack.Cli.Commands;
using CryptStack.Volume;

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
};

try
{
    var parse = root.Parse(args);
    int exitCode = parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
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
