using System.Globalization;

namespace CryptStack.Cli.Output;

/// <summary>What --help adds to System.CommandLine's text: the exit codes, with gocryptfs' beside them.</summary>
internal static class HelpText
{
    public static void WriteExitCodes(TextWriter output)
    {
        output.WriteLine("Exit codes (gocryptfs 2.3's code for the same case in brackets; docs/cli.md):");
        foreach (ExitCodeInfo row in ExitCodes.Table)
            output.WriteLine($"  {row.Code.ToString(CultureInfo.InvariantCulture),2}  {row.Meaning} [{row.Gocryptfs}]");
        output.WriteLine();
    }
}
