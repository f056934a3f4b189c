using System.CommandLine;
using System.Security.Cryptography;
using CryptStack.Cli.Secrets;
using CryptStack.Volume;

namespace CryptStack.Cli.Commands;

/// <summary>`cryptstack key list|add|remove`: keyslots like LUKS; each opens the same master key and can be revoked alone.</summary>
internal static class KeyCommand
{
    /// <summary>Bytes in a key file made by --generate-keyfile: 512 bits, more than the 256-bit master key needs.</summary>
    private const int GeneratedKeyFileBytes = 64;

    public static Command Create() => new("key", "List, add and remove keyslots (passphrases, key files, recovery keys)")
    {
        List(),
        Test(),
        Add(),
        Remove(),
    };

    private static Command List()
    {
        var cipherDir = VolumeCommandSupport.CipherDirArgument();
        var command = new Command("list", "Show the keyslots: id, kind, KDF parameters, creation time (no secret needed)") { cipherDir };
        command.SetAction(result =>
        {
            VolumeInfo info = CryptVolume.ReadInfo(VolumeCommandSupport.FullPath(result, cipherDir));
            VolumeCommandSupport.WriteSlots(Console.Out, info.Keyslots);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Test()
    {
        var cipherDir = VolumeCommandSupport.CipherDirArgument();
        var secret = SecretOptions.ForOpening();
        var command = new Command("test", "Check that a secret opens the volume and say which slot it opens; changes nothing") { cipherDir };
        secret.AddTo(command);
        command.SetAction(result =>
        {
            using UnlockedVolume volume = VolumeCommandSupport.Unlock(VolumeCommandSupport.FullPath(result, cipherDir), secret, result);
            KeyslotInfo slot = volume.ListSlots().First(s => s.Id == volume.UnlockedSlotId);
            Console.Out.WriteLine($"Opens slot {slot.Id} ({FormatConstants.KindName(slot.Kind)}); the config is authentic.");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Add()
    {
        var cipherDir = VolumeCommandSupport.CipherDirArgument();
        var unlock = SecretOptions.ForUnlocking();
        var secret = SecretOptions.ForNewSecret(allowKeyFile: true);
        var generate = new Option<string?>("--generate-keyfile") { Description = "Write a new random key file to FILE (mode 0600) and add it", HelpName = "FILE" };
        var recovery = new Option<bool>("--recovery") { Description = "Add a new random recovery key and print it once" };
        var kdf = new KdfOptionSet();
        var recoveryKey = new RecoveryKeyOutput();
        var command = new Command("add", "Add a keyslot, authorised by a secret that opens the volume (--unlock-*)") { cipherDir, generate, recovery };
        unlock.AddTo(command);
        secret.AddTo(command);
        kdf.AddTo(command);
        recoveryKey.AddTo(command);
        command.SetAction(result =>
        {
            string dir = VolumeCommandSupport.FullPath(result, cipherDir);
            KdfOptions kdfOptions = kdf.Parse(result);
            string? generatePath = result.GetValue(generate);
            bool addRecovery = result.GetValue(recovery);
            int ways = (generatePath != null ? 1 : 0) + (addRecovery ? 1 : 0) + (secret.HasExplicitSource(result) ? 1 : 0);
            if (ways > 1)
                throw new CliException(ExitCodes.Usage, "give one new secret: --passfile, --extpass, --keyfile, --generate-keyfile or --recovery");
            if (generatePath != null && File.Exists(generatePath))
                throw new CliException(ExitCodes.Refused, $"{generatePath}: exists; --generate-keyfile does not overwrite files");
            if (addRecovery) recoveryKey.Check(result);

            using UnlockedVolume volume = VolumeCommandSupport.Unlock(dir, unlock, result);
            if (addRecovery)
            {
                (int id, string key) = volume.AddRecoverySlot();
                Console.Out.WriteLine($"Added slot {id}: recovery key");
                recoveryKey.Deliver(result, key, $"when other secrets are lost (`cryptstack recover {dir}`)");
                return ExitCodes.Ok;
            }
            using VolumeSecret newSecret = generatePath != null ? GenerateKeyFile(generatePath) : secret.ReadNew(result);
            int slot = volume.AddSlot(newSecret, kdfOptions);
            string kind = newSecret.Kind == KeyslotKind.KeyFile ? "key file" : "passphrase";
            Console.Out.WriteLine($"Added slot {slot}: {kind}" + (generatePath != null ? $" ({Path.GetFullPath(generatePath)})" : ""));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Remove()
    {
        var cipherDir = VolumeCommandSupport.CipherDirArgument();
        var unlock = SecretOptions.ForUnlocking();
        var slot = new Option<int>("--slot") { Description = "The slot to remove (see `key list`)", HelpName = "N", Required = true };
        var force = new Option<bool>("--force") { Description = "Remove the last passphrase or key-file slot, leaving only the recovery key" };
        var command = new Command("remove", "Remove a keyslot, authorised by a secret that opens the volume (--unlock-*)") { cipherDir, slot, force };
        unlock.AddTo(command);
        command.SetAction(result =>
        {
            string dir = VolumeCommandSupport.FullPath(result, cipherDir);
            using UnlockedVolume volume = VolumeCommandSupport.Unlock(dir, unlock, result);
            int id = result.GetValue(slot);
            try
            {
                volume.RemoveSlot(id, result.GetValue(force));
            }
            catch (VolumeException e) when (e.Kind == VolumeErrorKind.Refused && volume.ListSlots().Count > 1)
            {
                throw new CliException(ExitCodes.Refused, e.Message + " (--force)");
            }
            Console.Out.WriteLine($"Removed slot {id}.");
            if (id == volume.UnlockedSlotId)
                Console.Error.WriteLine($"cryptstack: note: slot {id} was the one that unlocked this command; that secret no longer opens the volume");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static VolumeSecret GenerateKeyFile(string path)
    {
        byte[] key = GC.AllocateArray<byte>(GeneratedKeyFileBytes, pinned: true);
        try
        {
            RandomNumberGenerator.Fill(key);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            try
            {
                using var file = new FileStream(path, options);
                file.Write(key);
                file.Flush(flushToDisk: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliException(ExitCodes.Error, $"{path}: cannot write the key file ({e.Message})");
            }
            return VolumeSecret.KeyFile(key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }
}
