using System.CommandLine;
using CryptStack.Cli.Secrets;
using CryptStack.Volume;

namespace CryptStack.Cli.Commands;

/// <summary>`cryptstack init`: a new volume in an empty directory, and its recovery key, shown once.</summary>
internal static class InitCommand
{
    public static Command Create()
    {
        var cipherDir = VolumeCommandSupport.CipherDirArgument();
        var secret = SecretOptions.ForNewSecret(allowKeyFile: true);
        var kdf = new KdfOptionSet();
        var recoveryKey = new RecoveryKeyOutput();
        var command = new Command("init", "Create a volume in an empty (or new) directory; prints its recovery key once") { cipherDir };
        secret.AddTo(command);
        kdf.AddTo(command);
        recoveryKey.AddTo(command);
        command.SetAction(result =>
        {
            string dir = VolumeCommandSupport.FullPath(result, cipherDir);
            KdfOptions kdfOptions = kdf.Parse(result);
            // Checked before asking for a passphrase; CryptVolume.Create checks again.
            if (File.Exists(dir))
                throw new CliException(ExitCodes.Usage, $"{dir}: is a file, not a directory");
            if (Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any())
                throw new CliException(ExitCodes.CipherDirNotEmpty, $"{dir}: directory is not empty; create a volume in an empty directory");
            recoveryKey.Check(result);

            using VolumeSecret first = secret.ReadNew(result);
            Directory.CreateDirectory(dir);
            if (first.Kind == KeyslotKind.Passphrase) Output.UnlockNotice.BeforeDerive(kdfOptions);
            CreatedVolume created = CryptVolume.Create(dir, first, kdfOptions);
            using UnlockedVolume volume = created.Volume;
            string firstKind = first.Kind == KeyslotKind.KeyFile ? "key file" : "passphrase";
            Console.Out.WriteLine($"Created a CryptStack volume in {dir}");
            Console.Out.WriteLine($"  slot 0: {firstKind}");
            Console.Out.WriteLine("  slot 1: recovery key");
            recoveryKey.Deliver(result, created.RecoveryKey, $"if the {firstKind} is lost (`cryptstack recover {dir}`)");
            return ExitCodes.Ok;
        });
        return command;
    }
}
