using System.CommandLine;
using CryptStack.Cli.Secrets;
using CryptStack.Offline;
using CryptStack.Offline.Inspect;

namespace CryptStack.Cli.Commands;

/// <summary>`cryptstack path CIPHERDIR PLAINPATH` and `path --reverse CIPHERDIR CIPHERPATH`.</summary>
internal static class PathCommand
{
    public static Command Create()
    {
        var cipherDir = VolumeCommandSupport.CipherDirArgument();
        var path = new Argument<string>("PATH") { Description = "A plaintext path inside the volume (with --reverse: a ciphertext path, absolute or relative to CIPHERDIR)" };
        var reverse = new Option<bool>("--reverse", "-r") { Description = "Map a ciphertext path to the plaintext path it stores" };
        var needed = new Option<bool>("--needed") { Description = "Also print what decrypting the path needs besides its own files: the config and the directory ids on the way" };
        var secrets = SecretOptions.ForReading();
        var command = new Command("path", "Print the ciphertext files that hold a plaintext path (and its sidecars), or the other way round") { cipherDir, path, reverse, needed };
        secrets.AddTo(command);
        command.SetAction(result =>
        {
            string dir = VolumeCommandSupport.FullPath(result, cipherDir);
            using OfflineVolume volume = OfflineCommandSupport.Open(dir, secrets, result);
            var map = new CipherPathMap(volume);
            string given = result.GetRequiredValue(path);
            if (result.GetValue(reverse))
            {
                PlainLocation plain = map.Reverse(given);
                Console.Out.WriteLine(plain.Role == "entry" ? plain.PlainPath : $"{plain.PlainPath}\t({plain.Role})");
                return ExitCodes.Ok;
            }
            CipherLocation location = map.Forward(given);
            Console.Out.WriteLine(location.Entry.Path);
            foreach (var sidecar in location.Sidecars.Where(s => s.Present || !s.Role.Contains("if it is")))
                Console.Out.WriteLine(sidecar.Path);
            if (result.GetValue(needed))
                foreach (var file in location.Needed) Console.Out.WriteLine(file.Path);
            if (!location.Entry.Present)
                Console.Error.WriteLine($"cryptstack: note: {location.PlainPath} is not in this copy of the volume; the lines above are where it would be");
            return ExitCodes.Ok;
        });
        return command;
    }
}
