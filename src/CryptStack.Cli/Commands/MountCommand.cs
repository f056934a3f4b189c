using System.CommandLine;
using CryptStack.Cli.Daemon;
using CryptStack.Cli.Secrets;
using CryptStack.Encryption;
using CryptStack.Stack;
using CryptStack.Volume;
using Microsoft.Extensions.Logging;

namespace CryptStack.Cli.Commands;

/// <summary>`cryptstack mount`: the encrypted view of a volume. Same shape as `mirror`, plus a secret.</summary>
internal static class MountCommand
{
    public static Command Create()
    {
        var cipherDir = new Argument<string>("CIPHERDIR") { Description = "The volume's ciphertext directory" };
        var mountPoint = new Argument<string>("MOUNTPOINT") { Description = "Empty directory to mount the plaintext view on" };
        var secrets = SecretOptions.ForOpening();
        var options = new MountOptionSet();
        var command = new Command("mount", "Mount an encrypted volume: plaintext at MOUNTPOINT, ciphertext in CIPHERDIR")
        {
            cipherDir, mountPoint,
        };
        secrets.AddTo(command);
        options.AddTo(command);
        command.SetAction(result =>
        {
            string source = MountPoints.Canonical(result.GetRequiredValue(cipherDir));
            string target = MountPoints.Canonical(result.GetRequiredValue(mountPoint));
            MountPoints.CheckApart(source, target, "CIPHERDIR");
            var parsed = options.Parse(result, source);
            bool notify = result.GetValue(options.NotifyReady);
            if (!File.Exists(CryptVolume.ConfigPathFor(source)) && !File.Exists(CryptVolume.BackupPathFor(source)))
                throw VolumeCommandSupport.NoConfig(source);
            if (!notify) MountPoints.CheckUsable(target, parsed.AllowNonEmpty);
            if (!notify) options.CheckDaemonFiles(result);
            if (!result.GetValue(options.Foreground))
            {
                // The secret is read here (a prompt needs our terminal) and piped to the daemon.
                using SecretInput input = secrets.ReadExistingInput(result);
                // The daemon runs the KDF; its stderr is a pipe to us, so the notice comes from here.
                if (input.Kind == KeyslotKind.Passphrase) Output.UnlockNotice.BeforeUnlock(source);
                return DaemonLauncher.Start([.. Environment.GetCommandLineArgs()[1..], .. input.DaemonArguments], input.Bytes);
            }

            // Unlock before mounting: a wrong secret fails here, while the caller still waits on us.
            UnlockedVolume volume;
            using (VolumeSecret secret = secrets.ReadExisting(result))
                volume = VolumeCommandSupport.Open(source, secret);
            // Shared storage is safe only while the backing filesystem grants the locks that keep the hosts'
            // writers apart: refuse the mount rather than run two writers unlocked.
            if (parsed.Shared && BackingLocks.Refusal(source) is { } refusal)
            {
                volume.Dispose();
                throw new CliException(ExitCodes.Refused,
                    $"{source}: -o shared needs file locks on the backing filesystem, and it refuses them: {refusal}. Mount from one host only, without -o shared, or put the ciphertext on a filesystem with working locks");
            }
            // Items under two master keys are read with both, but names are created under the new one only: until the
            // rekey finishes, a write could create a second entry of an existing name (format.md section 4.2).
            bool rekeying = volume.RekeyInProgress;
            if (rekeying && !parsed.Mount.ReadOnly)
                Console.Error.WriteLine($"cryptstack: {source}: a rekey has not finished; mounting read-only (run `cryptstack rekey {source}` to finish it)");
            EncryptionLayer? layer = null;
            var job = new MountJob
            {
                MountPoint = target,
                Options = parsed.Mount with { Subtype = "cryptstack", ReadOnly = parsed.Mount.ReadOnly || rekeying },
                NotifyParent = notify,
                Shared = parsed.Shared,
                PidFile = MountOptionSet.AbsoluteOrNull(result.GetValue(options.PidFile)),
                LogFile = MountOptionSet.AbsoluteOrNull(result.GetValue(options.LogFile)),
                Idle = parsed.Idle,
                CreateFileSystem = loggers =>
                {
                    layer = new EncryptionLayer(volume, loggers, new EncryptionOptions { SharedStorage = parsed.Shared });
                    // The layer holds the subkeys it needs; the master key is zeroed now, not at unmount.
                    volume.Dispose();
                    return new InodeStackFileSystem(source, layer.Transforms, loggers.CreateLogger("cryptstack"));
                },
                Cleanup = () =>
                {
                    layer?.Dispose();
                    volume.Dispose();
                },
            };
            return MountDaemon.Run(job, result.GetValue(options.Debug));
        });
        return command;
    }
}
