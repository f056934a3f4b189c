using System.CommandLine;
using CryptStack.Cli.Progress;
using CryptStack.Cli.Secrets;
using CryptStack.Offline;
using CryptStack.Offline.Check;
using CryptStack.Volume;

namespace CryptStack.Cli.Commands;

/// <summary>`cryptstack fsck CIPHERDIR`: check (and with --repair, safely fix) a volume without a mount.</summary>
internal static class FsckCommand
{
    public const string ExitCodeHelp =
        "Exit codes: 0 clean; 26 problems found (and not all repaired); 27 every problem found was repaired (--repair); " +
        "any other code: fsck could not run (10 wrong secret, 11 not a volume, 15 no config opens, 1 I/O error; see docs/cli.md).";

    public static Command Create()
    {
        var cipherDir = VolumeCommandSupport.CipherDirArgument();
        var repair = new Option<bool>("--repair") { Description = "Fix what is safe to fix (never deleting data) and say what was done" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No progress and no summary; problems are still reported" };
        var interval = new Option<double?>("--progress-interval") { Hidden = true };
        var secrets = SecretOptions.ForReading();
        var command = new Command("fsck",
            "Check a volume without FUSE: config, keyslots, every header, block, name, directory id, link target and xattr, " +
            "and what the mount cannot see (orphaned sidecars, stray files). " + ExitCodeHelp)
        {
            cipherDir, repair, quiet, interval,
        };
        secrets.AddTo(command);
        command.SetAction(result =>
        {
            string dir = VolumeCommandSupport.FullPath(result, cipherDir);
            bool beQuiet = result.GetValue(quiet), fix = result.GetValue(repair);
            if (!File.Exists(CryptVolume.ConfigPathFor(dir)) && !File.Exists(CryptVolume.BackupPathFor(dir)) && !File.Exists(RecoveryRecord.PathFor(dir)))
                throw new CliException(ExitCodes.NotAVolume, $"{dir}: not a CryptStack volume (no {Path.GetFileName(CryptVolume.ConfigPathFor(dir))}, its .bak or {RecoveryRecord.FileName})");
            UnlockedVolume unlocked;
            OpenedFrom from;
            IReadOnlyList<ConfigFinding> configFindings;
            using (VolumeSecret secret = secrets.ReadExisting(result))
            {
                (unlocked, from) = VolumeRecovery.OpenForReading(dir, secret);
                try { configFindings = ConfigInspection.Inspect(unlocked, secret); }
                catch
                {
                    unlocked.Dispose();
                    throw;
                }
            }
            if (from != OpenedFrom.Config && !beQuiet)
                Console.Error.WriteLine($"cryptstack: note: opened with {Path.GetFileName(unlocked.ConfigPath)}; cryptstack.conf is missing or damaged");
            using OfflineVolume volume = OfflineVolume.Open(unlocked, dir);

            var progress = new WorkProgress();
            if (!beQuiet)
            {
                var counter = new TreeCounter();
                new TreeWalker(volume, counter).Walk(["/"]);
                progress.SetTotals(counter.Files, counter.Bytes);
            }
            using var display = new ProgressDisplay(progress, "fsck", beQuiet,
                result.GetValue(interval) is { } seconds ? TimeSpan.FromSeconds(seconds) : null);
            CheckSummary summary = VolumeChecker.Run(volume, configFindings, fix, progress, finding =>
            {
                if (finding.Severity == Severity.Note && beQuiet) return;
                display.Message($"cryptstack: {finding}");
            });
            display.Finish();
            if (!beQuiet)
            {
                Console.Out.WriteLine($"Checked {summary.Entries} entries ({summary.Files} files, {ProgressDisplay.Bytes(summary.Bytes)}) of {dir}: " +
                    (summary.Problems == 0 ? "no problems found."
                        : $"{summary.Problems} problem{(summary.Problems == 1 ? "" : "s")} found" +
                          (fix ? $", {summary.Repaired} repaired, {summary.Remaining} left." : " (see above; --repair fixes what is safe to fix).")));
            }
            if (summary.Problems == 0) return ExitCodes.Ok;
            return summary.Remaining == 0 ? ExitCodes.ProblemsRepaired : ExitCodes.ProblemsFound;
        });
        return command;
    }
}
