using System.CommandLine;
using System.Globalization;
using CryptStack.Cli.Secrets;
using CryptStack.Volume;

namespace CryptStack.Cli.Commands;

/// <summary>What the volume commands (init, passwd, key, recover, info) share.</summary>
internal static class VolumeCommandSupport
{
    public static Argument<string> CipherDirArgument() => new("CIPHERDIR") { Description = "The volume's ciphertext directory" };

    public static string FullPath(ParseResult result, Argument<string> argument) => Path.GetFullPath(result.GetRequiredValue(argument));

    /// <summary>
    /// Reads the config without a secret first, so "not a volume" or a damaged config is reported
    /// before anyone is asked for a passphrase; then reads the secret and opens the volume.
    /// </summary>
    public static UnlockedVolume Unlock(string cipherDir, SecretOptions secretOptions, ParseResult result)
    {
        CryptVolume.ReadInfo(cipherDir);
        using VolumeSecret secret = secretOptions.ReadExisting(result);
        return Open(cipherDir, secret);
    }

    /// <summary>
    /// CryptVolume.Open, and when the secret opens no keyslot but does open the differing cryptstack.conf.bak,
    /// says that the config is damaged (not the secret wrong) and how to restore it.
    /// </summary>
    public static UnlockedVolume Open(string cipherDir, VolumeSecret secret)
    {
        try
        {
            if (secret.Kind == KeyslotKind.Passphrase) Output.UnlockNotice.BeforeUnlock(cipherDir);
            return CryptVolume.Open(cipherDir, secret);
        }
        catch (VolumeException e) when (e.Kind == VolumeErrorKind.WrongSecret && VolumeRecovery.BackupOpensInstead(cipherDir, secret))
        {
            string backup = CryptVolume.BackupPathFor(cipherDir);
            throw new CliException(ExitCodes.CorruptConfig,
                $"{e.Message}, but it opens {backup}, which differs: the config is damaged (a keyslot changed). " +
                $"Restore the backup: `cryptstack config restore {cipherDir} {backup}`");
        }
    }

    /// <summary>
    /// Neither cryptstack.conf nor its .bak: an empty directory is not a volume yet, but one with files in it
    /// may well be a volume that lost its config, and `init` there would be the wrong advice.
    /// </summary>
    public static CliException NoConfig(string cipherDir)
    {
        string config = Path.GetFileName(CryptVolume.ConfigPathFor(cipherDir));
        bool hasFiles = Directory.Exists(cipherDir) && Directory.EnumerateFileSystemEntries(cipherDir).Any();
        return new CliException(ExitCodes.NotAVolume, hasFiles
            ? $"{cipherDir}: no {config} or {config}.bak, but the directory is not empty. If it holds an encrypted volume, its files " +
              $"can be read with the recovery key (`cryptstack decrypt --recovery-file FILE {cipherDir} DEST`) and its config rebuilt " +
              $"(`cryptstack recover --rebuild-config {cipherDir}`; see docs/backup.md). Do not run `cryptstack init` here."
            : $"{cipherDir}: not a CryptStack volume (no {config}); create one with `cryptstack init {cipherDir}`");
    }

    /// <summary>The one time a recovery key is shown: indented on a line of its own, with what it is for.</summary>
    public static void WriteRecoveryKey(TextWriter output, string recoveryKey, string purpose)
    {
        output.WriteLine();
        output.WriteLine("Recovery key (shown only this once):");
        output.WriteLine();
        output.WriteLine($"    {recoveryKey}");
        output.WriteLine();
        output.WriteLine("Write it down or keep it in a password manager, away from this volume. It opens the volume");
        output.WriteLine($"{purpose}, and anyone who has it can read the files.");
    }

    /// <summary>The slot table of `key list` and `info`: ids, kinds, KDF and creation time, never salts or wrapped keys.</summary>
    public static void WriteSlots(TextWriter output, IReadOnlyList<KeyslotInfo> slots, int? unlockedSlot = null)
    {
        var rows = new List<string[]> { new[] { "SLOT", "KIND", "KDF", "PARAMETERS", "CREATED" } };
        foreach (KeyslotInfo slot in slots)
        {
            string parameters = slot.KdfParameters.Count == 0
                ? "-"
                : string.Join(" ", slot.KdfParameters.Select(p => $"{p.Key}={p.Value.ToString(CultureInfo.InvariantCulture)}"));
            string id = slot.Id.ToString(CultureInfo.InvariantCulture) + (slot.Id == unlockedSlot ? "*" : "");
            rows.Add([id, FormatConstants.KindName(slot.Kind), slot.Kdf, parameters, slot.CreatedUtc]);
        }
        int[] widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (string[] row in rows)
            output.WriteLine(string.Join("  ", row.Select((cell, c) => c == row.Length - 1 ? cell : cell.PadRight(widths[c]))).TrimEnd());
    }
}
