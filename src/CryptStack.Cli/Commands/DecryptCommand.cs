using System.CommandLine;
using CryptStack.Cli.Progress;
using CryptStack.Cli.Secrets;
using CryptStack.Offline;
using CryptStack.Offline.Restore;

namespace CryptStack.Cli.Commands;

/// <summary>`cryptstack decrypt CIPHERDIR DEST [PLAINPATH...]`: restore without a mount.</summary>
internal static class DecryptCommand
{
    public static Command Create()
    {
        var cipherDir = VolumeCommandSupport.CipherDirArgument();
        var dest = new Argument<string>("DEST") { Description = "Directory to write the plaintext into (created if missing; must be empty unless --overwrite)" };
        var paths = new Argument<string[]>("PLAINPATH") { Description = "Restore only these paths of the volume (at the same paths under DEST); default: everything", Arity = ArgumentArity.ZeroOrMore };
        var overwrite = new Option<bool>("--overwrite") { Description = "Restore into a non-empty DEST: entries of the same name are replaced, directories merged" };
        var salvage = new Option<bool>("--salvage") { Description = "Write the readable blocks of a damaged file, with the bad ranges zeroed and listed, instead of skipping it" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No progress and no summary; problems are still reported on stderr" };
        var interval = new Option<double?>("--progress-interval") { Hidden = true };
        var secrets = SecretOptions.ForReading();
        var command = new Command("decrypt", "Restore the plaintext of a volume (or of chosen paths) into a directory, without FUSE")
        {
            cipherDir, dest, paths, overwrite, salvage, quiet, interval,
        };
        secrets.AddTo(command);
        command.SetAction(result =>
        {
            string dir = VolumeCommandSupport.FullPath(result, cipherDir);
            string target = Path.GetFullPath(result.GetRequiredValue(dest));
            var chosen = result.GetValue(paths) ?? [];
            var options = new RestoreOptions { Overwrite = result.GetValue(overwrite), Salvage = result.GetValue(salvage) };
            if (!options.Overwrite && Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
                throw new CliException(ExitCodes.DestinationNotEmpty, $"{target}: the destination is not empty; restore into an empty directory, or use --overwrite");
            bool beQuiet = result.GetValue(quiet);
            using OfflineVolume volume = OfflineCommandSupport.Open(dir, secrets, result);

            var progress = new WorkProgress();
            var roots = chosen.Length == 0 ? ["/"] : chosen;
            // A path that is not in the volume fails now, before DEST is touched.
            foreach (string path in chosen) volume.Resolve(path).Dispose();
            if (!beQuiet)
            {
                var counter = new TreeCounter();
                new TreeWalker(volume, counter).Walk(roots);
                progress.SetTotals(counter.Files, counter.Bytes);
            }
            using var display = new ProgressDisplay(progress, "decrypt", beQuiet,
                result.GetValue(interval) is { } seconds ? TimeSpan.FromSeconds(seconds) : null);
            RestoreSummary summary = Restorer.Run(volume, target, chosen, options, progress, problem =>
                display.Message($"cryptstack: {problem}"));
            display.Finish();
            if (!beQuiet)
            {
                Console.Out.WriteLine($"Restored {summary.Files} files ({ProgressDisplay.Bytes(summary.Bytes)}), {summary.Directories} directories, " +
                    $"{summary.Symlinks} symlinks, {summary.HardLinks} hard links, {summary.SpecialFiles} special files into {target}.");
            }
            if (summary.Complete) return ExitCodes.Ok;
            Console.Error.WriteLine($"cryptstack: {summary.Skipped} entries skipped, {summary.Incomplete} restored incompletely (see above)" +
                (options.Salvage || summary.Skipped == 0 ? "" : "; --salvage writes what is readable of damaged files"));
            return ExitCodes.Incomplete;
        });
        return command;
    }
}
