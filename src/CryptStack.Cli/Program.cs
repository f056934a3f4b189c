using System.CommandLine;
using CryptStack.Cli;
using CryptStack.Cli.Commands;

var root = new RootCommand("CryptStack: an encrypting stacked filesystem")
{
    MountCommand.Create(),
    MirrorCommand.Create(),
    UnmountCommand.Create(),
};

try
{
    var parse = root.Parse(args);
    return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (CliException e)
{
    Console.Error.WriteLine($"cryptstack: {e.Message}");
    return e.ExitCode;
}
