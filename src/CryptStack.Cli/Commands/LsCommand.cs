using System.CommandLine;
using System.Globalization;
using System.Text;
using CryptStack.Cli.Secrets;
using CryptStack.Fuse;
using CryptStack.Offline;
using CryptStack.Offline.Inspect;

namespace CryptStack.Cli.Commands;

/// <summary>`cryptstack ls [-l] [-R] CIPHERDIR [PLAINPATH]`: a quick look without a mount.</summary>
internal static class LsCommand
{
    public static Command Create()
    {
        var cipherDir = VolumeCommandSupport.CipherDirArgument();
        var path = new Argument<string>("PLAINPATH") { Description = "A path inside the volume (default: its root)", Arity = ArgumentArity.ZeroOrOne, DefaultValueFactory = _ => "/" };
        var longFormat = new Option<bool>("-l") { Description = "Long format: type and mode, links, owner and group ids, size, modification time, symlink targets" };
        var recursive = new Option<bool>("-R", "--recursive") { Description = "Everything below PLAINPATH, as paths relative to it" };
        var secrets = SecretOptions.ForReading();
        var command = new Command("ls", "List the plaintext names of a volume without mounting it") { cipherDir, path, longFormat, recursive };
        secrets.AddTo(command);
        command.SetAction(result =>
        {
            string dir = VolumeCommandSupport.FullPath(result, cipherDir);
            bool detailed = result.GetValue(longFormat);
            using OfflineVolume volume = OfflineCommandSupport.Open(dir, secrets, result);
            int problems = 0;
            var output = Console.Out;
            var lister = new Lister(volume, result.GetValue(recursive), linkTargets: detailed,
                item => output.WriteLine(detailed ? LongLine(item) : item.RelativePath),
                (plain, cipher, what) =>
                {
                    problems++;
                    output.Flush();
                    Console.Error.WriteLine($"cryptstack: {plain}: {what}{(cipher is null ? "" : $" (ciphertext {cipher})")}");
                });
            lister.Run(result.GetValue(path) ?? "/");
            output.Flush();
            return problems == 0 ? ExitCodes.Ok : ExitCodes.Incomplete;
        });
        return command;
    }

    /// <summary>Like `ls -ln`: numeric owner and group, because a restored backup may come from another host.</summary>
    private static string LongLine(ListingItem item)
    {
        Stat st = item.Entry.Attr;
        var time = DateTimeOffset.FromUnixTimeSeconds(st.MTime.Seconds).ToLocalTime();
        string size = (st.Mode & 0xF000) is 0x2000 or 0x6000
            ? $"{st.RDev >> 8 & 0xFFF},{(st.RDev & 0xFF) | (st.RDev >> 12 & 0xFFF00)}"
            : st.Size.ToString(CultureInfo.InvariantCulture);
        string line = $"{ModeString(st.Mode)} {st.NLink,3} {st.Uid,5} {st.Gid,5} {size,12} {time:yyyy-MM-dd HH:mm} {item.RelativePath}";
        return item.LinkTarget is { } target ? line + " -> " + Encoding.UTF8.GetString(target) : line;
    }

    internal static string ModeString(uint mode)
    {
        char type = (mode & 0xF000) switch
        {
            0x4000 => 'd', 0xA000 => 'l', 0x1000 => 'p', 0xC000 => 's', 0x2000 => 'c', 0x6000 => 'b', _ => '-',
        };
        var s = new StringBuilder().Append(type);
        string rwx = "rwxrwxrwx";
        for (int i = 0; i < 9; i++) s.Append((mode & (1u << (8 - i))) != 0 ? rwx[i] : '-');
        if ((mode & 0x800) != 0) s[3] = s[3] == 'x' ? 's' : 'S';
        if ((mode & 0x400) != 0) s[6] = s[6] == 'x' ? 's' : 'S';
        if ((mode & 0x200) != 0) s[9] = s[9] == 'x' ? 't' : 'T';
        return s.ToString();
    }
}
