using System.CommandLine;
using CryptStack.Cli.Secrets;
using CryptStack.Volume;

namespace CryptStack.Cli.Commands;

/// <summary>`cryptstack config backup|restore|save-recovery`: the config kept apart from the ciphertext, like cryptsetup's header backup.</summary>
internal static class ConfigCommand
{
    public static Command Create() => new("config", "Back up, restore, or refresh the recovery record of a volume's config")
    {
        Backup(), Restore(), SaveRecovery(),
    };

    private static Command Backup()
    {
        var cipherDir = VolumeCommandSupport.CipherDirArgument();
        var file = new Argument<string>("FILE") { Description = "New file to write the copy to (keep it away from the ciphertext)" };
        var command = new Command("backup", "Copy cryptstack.conf to FILE (like cryptsetup luksHeaderBackup); no secret needed") { cipherDir, file };
        command.SetAction(result =>
        {
            string dir = VolumeCommandSupport.FullPath(result, cipherDir);
            string target = Path.GetFullPath(result.GetRequiredValue(file));
            string source = ConfigBackup.Backup(dir, target);
            Console.Out.WriteLine($"Copied {source} to {target}.");
            Console.Out.WriteLine("Keep it away from the ciphertext (it is what opens the volume if the config is lost or damaged). It holds every keyslot as of now: " +
                "a passphrase you change or a slot you remove later still opens the volume through this copy, so make a new backup after such a change and destroy the old one.");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Restore()
    {
        var cipherDir = VolumeCommandSupport.CipherDirArgument();
        var file = new Argument<string>("FILE") { Description = "A config backup made by `cryptstack config backup`" };
        var force = new Option<bool>("--force") { Description = "Install it even if the current config is of another volume" };
        var secrets = SecretOptions.ForOpening();
        var command = new Command("restore", "Install a config backup as cryptstack.conf (and .bak), after a secret opened it") { cipherDir, file, force };
        secrets.AddTo(command);
        command.SetAction(result =>
        {
            string dir = VolumeCommandSupport.FullPath(result, cipherDir);
            string source = Path.GetFullPath(result.GetRequiredValue(file));
            UnlockedVolume volume;
            using (VolumeSecret secret = secrets.ReadExisting(result))
                volume = ConfigBackup.Restore(dir, source, secret, result.GetValue(force));
            using (volume)
            {
                Console.Out.WriteLine($"Restored {volume.ConfigPath} from {source} (slot {volume.UnlockedSlotId} opened it). Keyslots now:");
                VolumeCommandSupport.WriteSlots(Console.Out, volume.ListSlots(), volume.UnlockedSlotId);
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command SaveRecovery()
    {
        var cipherDir = VolumeCommandSupport.CipherDirArgument();
        var secrets = SecretOptions.ForOpening();
        var command = new Command("save-recovery", $"Write {RecoveryRecord.FileName}, which lets the recovery key open the volume when cryptstack.conf is lost (volumes made before it existed)") { cipherDir };
        secrets.AddTo(command);
        command.SetAction(result =>
        {
            string dir = VolumeCommandSupport.FullPath(result, cipherDir);
            using UnlockedVolume volume = VolumeCommandSupport.Unlock(dir, secrets, result);
            volume.SaveRecoveryRecord();
            bool written = File.Exists(RecoveryRecord.PathFor(dir));
            Console.Out.WriteLine(written
                ? $"Wrote {RecoveryRecord.PathFor(dir)}: the recovery key can now rebuild a lost config (`cryptstack recover --rebuild-config`)."
                : "The volume has no recovery slot, so there is no recovery record to write (`cryptstack key add --recovery` adds one).");
            return ExitCodes.Ok;
        });
        return command;
    }
}
