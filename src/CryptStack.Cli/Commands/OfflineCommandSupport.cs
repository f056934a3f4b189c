using System.CommandLine;
using CryptStack.Cli.Secrets;
using CryptStack.Offline;
using CryptStack.Volume;

namespace CryptStack.Cli.Commands;

/// <summary>What the offline commands (decrypt, ls, cat, path) share: the secret options and opening the volume without a mount.</summary>
internal static class OfflineCommandSupport
{
    /// <summary>
    /// Opens CIPHERDIR for reading: through cryptstack.conf, else its .bak, else (with a recovery key) cs.recovery;
    /// a note on stderr says when it was not the config itself.
    /// </summary>
    public static OfflineVolume Open(string cipherDir, SecretOptions secrets, ParseResult result)
    {
        if (!File.Exists(CryptVolume.ConfigPathFor(cipherDir)) && !File.Exists(CryptVolume.BackupPathFor(cipherDir))
            && !File.Exists(RecoveryRecord.PathFor(cipherDir)))
            throw new CliException(ExitCodes.NotAVolume, $"{cipherDir}: not a CryptStack volume (no {Path.GetFileName(CryptVolume.ConfigPathFor(cipherDir))}, its .bak or {RecoveryRecord.FileName})");
        UnlockedVolume volume;
        OpenedFrom from;
        using (VolumeSecret secret = secrets.ReadExisting(result))
            (volume, from) = VolumeRecovery.OpenForReading(cipherDir, secret);
        if (from != OpenedFrom.Config)
            Console.Error.WriteLine($"cryptstack: note: {Path.GetFileName(CryptVolume.ConfigPathFor(cipherDir))} is missing or damaged; opened with {Path.GetFileName(volume.ConfigPath)} (`cryptstack recover --rebuild-config` or `config restore` repairs the volume)");
        return OfflineVolume.Open(volume, cipherDir);
    }
}
