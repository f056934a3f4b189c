using System.CommandLine;
using CryptStack.Cli.Progress;
using CryptStack.Cli.Secrets;
using CryptStack.Fuse;
using CryptStack.Offline;
using CryptStack.Offline.Rekey;
using CryptStack.Volume;

namespace CryptStack.Cli.Commands;

/// <summary>`cryptstack rekey CIPHERDIR`: a new master key; headers, names, link targets and xattrs moved to it, no file data re-encrypted.</summary>
internal static class RekeyCommand
{
    public static Command Create()
    {
        var cipherDir = VolumeCommandSupport.CipherDirArgument();
        var drop = new Option<bool>("--drop-other-slots") { Description = "Drop the passphrase and key-file slots the given secret does not open (they cannot be rewrapped without their secrets)" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No progress and no summary" };
        var interval = new Option<double?>("--progress-interval") { Hidden = true };
        var secrets = SecretOptions.ForOpening();
        var recoveryKey = new RecoveryKeyOutput();
        var command = new Command("rekey",
            "Replace the master key: every file header rewrapped, every name, link target and xattr re-encrypted (no file data is rewritten), " +
            "the slot of the given secret rewrapped and every recovery key replaced by a new one. Crash-safe: run it again to finish an interrupted rekey. " +
            "Unmount the volume first.")
        {
            cipherDir, drop, quiet, interval,
        };
        secrets.AddTo(command);
        recoveryKey.AddTo(command);
        command.SetAction(result =>
        {
            string dir = VolumeCommandSupport.FullPath(result, cipherDir);
            bool beQuiet = result.GetValue(quiet);
            VolumeInfo info = CryptVolume.ReadInfo(dir);
            bool resuming = info.Features.Contains(FormatConstants.FeatureRekeyInProgress);
            if (!resuming) recoveryKey.Check(result);
            if (MountTable.Read().FirstOrDefault(m => m.Source == dir && m.FsType.StartsWith("fuse", StringComparison.Ordinal)) is { } mounted)
                throw new CliException(ExitCodes.Refused, $"{dir} is mounted on {mounted.MountPoint}; unmount it first (`cryptstack unmount {mounted.MountPoint}`)");

            RekeyStart start;
            using (VolumeSecret secret = secrets.ReadExisting(result))
                start = VolumeRekey.Begin(dir, secret, result.GetValue(drop));
            using UnlockedVolume volume = start.Volume;
            if (start.Resumed)
            {
                if (!beQuiet) Console.Out.WriteLine($"Resuming the interrupted rekey of {dir}.");
            }
            else
            {
                if (start.DroppedSlots.Count > 0 && !beQuiet)
                    Console.Out.WriteLine($"Keyslot(s) {string.Join(", ", start.DroppedSlots)} dropped (the old recovery key and other secrets no longer open the volume).");
                recoveryKey.Deliver(result, start.RecoveryKey!, $"if the passphrase or key file is lost (`cryptstack recover {dir}`); the old recovery key no longer does");
            }

            var progress = new WorkProgress();
            RekeySummary summary;
            using (var display = new ProgressDisplay(progress, "rekey", beQuiet, result.GetValue(interval) is { } seconds ? TimeSpan.FromSeconds(seconds) : null))
            {
                using var rekeyer = new Rekeyer(volume, progress);
                summary = rekeyer.Run(dir);
                foreach (string skipped in summary.Skipped) display.Message($"cryptstack: {skipped}");
                display.Finish();
            }
            if (summary.Skipped.Count > 0)
                throw new CliException(ExitCodes.Incomplete,
                    $"{summary.Skipped.Count} item(s) could not be rekeyed (see above; `cryptstack fsck` says more); the rekey stays open and the volume readable: repair them and run rekey again");
            VolumeRekey.Finish(volume);
            if (!beQuiet)
                Console.Out.WriteLine($"Rekeyed {dir}: {summary.Headers} file headers, {summary.Names} names, {summary.LinkTargets} link targets, " +
                    $"{summary.Xattrs} xattrs moved to the new master key ({summary.AlreadyDone} entries were already done). No file data was rewritten.");
            return ExitCodes.Ok;
        });
        return command;
    }
}
