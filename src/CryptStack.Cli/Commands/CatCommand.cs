using System.CommandLine;
using CryptStack.Cli.Secrets;
using CryptStack.Offline;
using CryptStack.Offline.Inspect;

namespace CryptStack.Cli.Commands;

/// <summary>`cryptstack cat CIPHERDIR PLAINPATH`: one file's plaintext on stdout, without a mount.</summary>
internal static class CatCommand
{
    public static Command Create()
    {
        var cipherDir = VolumeCommandSupport.CipherDirArgument();
        var path = new Argument<string>("PLAINPATH") { Description = "A regular file inside the volume" };
        var secrets = SecretOptions.ForReading();
        var command = new Command("cat", "Write one file's plaintext to stdout without mounting the volume") { cipherDir, path };
        secrets.AddTo(command);
        command.SetAction(result =>
        {
            string dir = VolumeCommandSupport.FullPath(result, cipherDir);
            using OfflineVolume volume = OfflineCommandSupport.Open(dir, secrets, result);
            using Stream stdout = Output.StandardStreams.OpenOutput();
            // What is readable before a damaged block is written, as cat(1) on the mount would (then the error).
            PlainFileReader.Copy(volume, result.GetRequiredValue(path), stdout);
            return ExitCodes.Ok;
        });
        return command;
    }
}
