using System.CommandLine;
using CryptStack.Cli.Secrets;
using CryptStack.Volume;

namespace CryptStack.Cli.Commands;

/// <summary>`cryptstack recover`: the recovery key opens the volume and a new passphrase is set.</summary>
internal static class RecoverCommand
{
    public static Command Create()
    {
        var cipherDir = VolumeCommandSupport.CipherDirArgument();
        var recoveryKey = SecretOptions.ForRecoveryKey();
        var newPassphrase = SecretOptions.ForNewSecret(allowKeyFile: false);
        var slot = new Option<int?>("--slot") { Description = "Replace the passphrase of this slot (default: the only passphrase slot; with none or several, a new slot is added)", HelpName = "N" };
        var kdf = new KdfOptionSet();
        var rebuild = new Option<bool>("--rebuild-config") { Description = $"cryptstack.conf and its .bak are lost: write a new config from {RecoveryRecord.FileName}, with the recovery slots and the new passphrase" };
        var command = new Command("recover", "Open the volume with its recovery key and set a new passphrase") { cipherDir, slot, rebuild };
        recoveryKey.AddTo(command);
        newPassphrase.AddTo(command);
        kdf.AddTo(command);
        command.SetAction(result =>
        {
            string dir = VolumeCommandSupport.FullPath(result, cipherDir);
            KdfOptions kdfOptions = kdf.Parse(result);
            if (result.GetValue(rebuild)) return Rebuild(dir, recoveryKey, newPassphrase, kdfOptions, result);
            using UnlockedVolume volume = VolumeCommandSupport.Unlock(dir, recoveryKey, result);
            var passphraseSlots = volume.ListSlots().Where(s => s.Kind == KeyslotKind.Passphrase).Select(s => s.Id).ToList();
            int? target = result.GetValue(slot) ?? (passphraseSlots.Count == 1 ? passphraseSlots[0] : null);
            if (target is { } id && !passphraseSlots.Contains(id))
                throw new CliException(ExitCodes.Usage, $"{volume.ConfigPath}: slot {id} is not a passphrase slot (see `cryptstack key list`)");

            using VolumeSecret secret = newPassphrase.ReadNew(result);
            if (target is { } replace)
            {
                volume.ChangePassphrase(replace, secret, kdfOptions);
                Console.Out.WriteLine($"Recovered: slot {replace} has the new passphrase; its old passphrase no longer opens the volume.");
            }
            else
            {
                int added = volume.AddSlot(secret, kdfOptions);
                Console.Out.WriteLine($"Recovered: the new passphrase is in slot {added}.");
            }
            Console.Out.WriteLine("The recovery key still works. If it may have been seen, replace it: `cryptstack key add --recovery`, then `cryptstack key remove --slot N`.");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static int Rebuild(string dir, SecretOptions recoveryKey, SecretOptions newPassphrase, KdfOptions kdf, ParseResult result)
    {
        RecoveryRecord.Read(dir);
        using VolumeSecret key = recoveryKey.ReadExisting(result);
        using VolumeSecret secret = newPassphrase.ReadNew(result);
        RebuiltConfig rebuilt = VolumeRecovery.RebuildConfig(dir, key, secret, kdf);
        foreach (string aside in rebuilt.SetAside) Console.Out.WriteLine($"Moved the damaged {Path.GetFileName(aside[..^".damaged".Length])} aside to {aside}.");
        Console.Out.WriteLine($"Rebuilt {CryptVolume.ConfigPathFor(dir)} (and its .bak) from {RecoveryRecord.FileName}: " +
            $"slot {rebuilt.PassphraseSlot} has the new passphrase; recovery slot(s) {string.Join(", ", rebuilt.RecoverySlots)} kept.");
        Console.Out.WriteLine("Other passphrase and key-file slots of the lost config are gone; add them again with `cryptstack key add`, and make a config backup (`cryptstack config backup`).");
        return ExitCodes.Ok;
    }
}
