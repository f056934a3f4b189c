using System.CommandLine;
using CryptStack.Cli.Secrets;
using CryptStack.Volume;

namespace CryptStack.Cli.Commands;

/// <summary>`cryptstack passwd`: a new passphrase for one slot; the master key and the data stay as they are.</summary>
internal static class PasswdCommand
{
    public static Command Create()
    {
        var cipherDir = VolumeCommandSupport.CipherDirArgument();
        var unlock = SecretOptions.ForUnlocking("Old passphrase: ");
        var newPassphrase = SecretOptions.ForNewSecret(allowKeyFile: false);
        var slot = new Option<int?>("--slot") { Description = "Change this passphrase slot (default: the slot the old secret opens)", HelpName = "N" };
        var kdf = new KdfOptionSet();
        var command = new Command("passwd", "Change the passphrase of a keyslot") { cipherDir, slot };
        unlock.AddTo(command);
        newPassphrase.AddTo(command);
        kdf.AddTo(command);
        command.SetAction(result =>
        {
            string dir = VolumeCommandSupport.FullPath(result, cipherDir);
            KdfOptions kdfOptions = kdf.Parse(result);
            CryptVolume.ReadInfo(dir);
            UnlockedVolume volume;
            VolumeSecret? early = null;
            using (VolumeSecret old = unlock.ReadExisting(result))
            {
                // Without a terminal both secrets come from files or stdin: read the new one too before the
                // KDF runs, so one missing line fails at once instead of after seconds of key derivation.
                if (!Terminal.StdinIsTerminal) early = newPassphrase.ReadNew(result);
                try { volume = VolumeCommandSupport.Open(dir, old); }
                catch { early?.Dispose(); throw; }
            }
            using var volumeOwner = volume;
            using var earlyOwner = early;
            int target = result.GetValue(slot) ?? volume.UnlockedSlotId;
            KeyslotInfo? info = volume.ListSlots().FirstOrDefault(s => s.Id == target);
            if (info == null)
                throw new CliException(ExitCodes.Usage, $"{volume.ConfigPath}: there is no keyslot {target}");
            if (info.Kind != KeyslotKind.Passphrase)
                throw new CliException(ExitCodes.Usage, $"slot {target} is a {FormatConstants.KindName(info.Kind)} slot, not a passphrase slot; choose one with --slot, or use `cryptstack key add` and `key remove`");
            using VolumeSecret? asked = early == null ? newPassphrase.ReadNew(result) : null;
            volume.ChangePassphrase(target, early ?? asked!, kdfOptions);
            Console.Out.WriteLine($"Passphrase of slot {target} changed; the old one no longer opens it.");
            return ExitCodes.Ok;
        });
        return command;
    }
}
