using System.CommandLine;
using System.Globalization;
using System.Text;

namespace CryptStack.Cli.Commands;

/// <summary>
/// `cryptstack man` (hidden): cryptstack(1) in roff, generated from the same command tree as --help
/// (every command, argument and option with its description) plus the exit codes, so the installed man
/// page cannot drift from the program. scripts/package-deb.sh runs it.
/// </summary>
internal static class ManCommand
{
    public static Command Create(RootCommand root)
    {
        var command = new Command("man", "Write the cryptstack(1) man page (roff) to stdout") { Hidden = true };
        command.SetAction(_ =>
        {
            Console.Out.Write(Render(root));
            return ExitCodes.Ok;
        });
        return command;
    }

    public static string Render(RootCommand root)
    {
        var man = new StringBuilder();
        string version = typeof(ManCommand).Assembly.GetName().Version?.ToString(3) ?? "0";
        man.AppendLine($".TH CRYPTSTACK 1 \"\" \"cryptstack {version}\" \"User Commands\"");
        man.AppendLine(".SH NAME");
        man.AppendLine(@"cryptstack \- " + Escape(root.Description ?? "an encrypting stacked filesystem"));
        man.AppendLine(".SH SYNOPSIS");
        man.AppendLine(@".B cryptstack");
        man.AppendLine(@"\fICOMMAND\fR [\fIOPTIONS\fR] [\fIARGUMENTS\fR]");
        man.AppendLine(".SH DESCRIPTION");
        man.AppendLine("A transparent encrypting stacked filesystem for Linux (FUSE): a mount point shows plaintext, while every file, name and link target is stored encrypted in an ordinary backing directory (CIPHERDIR).");
        man.AppendLine("A secret is never a command-line argument: it comes from \\fB--passfile\\fR, \\fB--extpass\\fR, \\fB--keyfile\\fR, the terminal, or one line of stdin.");
        man.AppendLine(".SH COMMANDS");
        foreach (Command command in root.Subcommands.Where(c => !c.Hidden))
            RenderCommand(man, command, "cryptstack");
        man.AppendLine(".SH EXIT STATUS");
        man.AppendLine("gocryptfs 2.3's code for the same case is given in brackets.");
        foreach (ExitCodeInfo row in ExitCodes.Table)
        {
            man.AppendLine($".TP\n.B {row.Code.ToString(CultureInfo.InvariantCulture)}");
            man.AppendLine($"{Escape(row.Meaning)} [{Escape(row.Gocryptfs)}]");
        }
        man.AppendLine(".SH FILES");
        man.AppendLine(".TP\n.I CIPHERDIR/cryptstack.conf\nThe volume config: keyslots and cipher suite (and its backup \\fIcryptstack.conf.bak\\fR).");
        man.AppendLine(".TP\n.I /sbin/mount.fuse.cryptstack\nThe mount(8) helper for fstab lines of type \\fBfuse.cryptstack\\fR.");
        man.AppendLine(".TP\n.I /lib/systemd/system/cryptstack@.service\nA unit template: one mount per instance.");
        man.AppendLine(".SH SEE ALSO");
        man.AppendLine(@"\fBmount\fR(8), \fBfusermount3\fR(1), \fBgocryptfs\fR(1); /usr/share/doc/cryptstack/cli.md");
        return man.ToString();
    }

    private static void RenderCommand(StringBuilder man, Command command, string parents)
    {
        string name = $"{parents} {command.Name}";
        var usage = new StringBuilder($@"\fB{Escape(name)}\fR");
        if (command.Options.Any(o => !o.Hidden)) usage.Append(@" [\fIOPTIONS\fR]");
        foreach (Argument argument in command.Arguments.Where(a => !a.Hidden)) usage.Append($@" \fI{Escape(argument.Name)}\fR");
        if (command.Subcommands.Any(c => !c.Hidden)) usage.Append(@" \fISUBCOMMAND\fR");
        man.AppendLine(".SS " + usage);
        if (command.Aliases.Count > 0) man.AppendLine($"(alias: {Escape(string.Join(", ", command.Aliases))})");
        man.AppendLine(Escape(command.Description ?? ""));
        foreach (Argument argument in command.Arguments.Where(a => !a.Hidden))
            man.AppendLine($".TP\n.I {Escape(argument.Name)}\n{Escape(argument.Description ?? "")}");
        foreach (Option option in command.Options.Where(o => !o.Hidden))
        {
            string names = string.Join(", ", new[] { option.Name }.Concat(option.Aliases).OrderBy(n => n.Length).Select(n => $@"\fB{Escape(n)}\fR"));
            string value = option.HelpName is { } help ? $@" \fI{Escape(help)}\fR" : option.ValueType == typeof(bool) ? "" : @" \fIVALUE\fR";
            man.AppendLine($".TP\n{names}{value}\n{Escape(option.Description ?? "")}");
        }
        foreach (Command sub in command.Subcommands.Where(c => !c.Hidden))
            RenderCommand(man, sub, name);
    }

    /// <summary>roff: backslashes doubled, dashes as \-, and no line may start with a dot or quote.</summary>
    private static string Escape(string text)
    {
        string escaped = text.Replace("\\", "\\\\").Replace("-", "\\-");
        return escaped.Length > 0 && (escaped[0] == '.' || escaped[0] == '\'') ? "\\&" + escaped : escaped;
    }
}
