using System.CommandLine;
using CryptStack.Cli.Daemon;
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
        var passFile = new Option<string?>("--passfile") { Description = "Read the passphrase from the first line of this file" };
        var keyFile = new Option<string?>("--keyfile") { Description = "Unlock with this key file" };
        var options = new MountOptionSet();
        var command = new Command("mount", "Mount an encrypted volume: plaintext at MOUNTPOINT, ciphertext in CIPHERDIR")
        {
            cipherDir, mountPoint, passFile, keyFile,
        };
        options.AddTo(command);
        command.SetAction(result =>
        {
            string source = Path.GetFullPath(result.GetRequiredValue(cipherDir));
            string target = Path.GetFullPath(result.GetRequiredValue(mountPoint));
            var parsed = options.Parse(result, source);
            bool notify = result.GetValue(options.NotifyReady);
            if (!File.Exists(CryptVolume.ConfigPathFor(source)) && !File.Exists(CryptVolume.BackupPathFor(source)))
                throw new CliException(ExitCodes.NotAVolume, $"{source}: not a CryptStack volume (no {Path.GetFileName(CryptVolume.ConfigPathFor(source))}); create one with `cryptstack init`");
            if (!notify) MountPoints.CheckUsable(target, parsed.AllowNonEmpty);
            if (!result.GetValue(options.Foreground))
                return DaemonLauncher.Start(Environment.GetCommandLineArgs()[1..], []);

            // Unlock before mounting: a wrong secret fails here, while the caller still waits on us.
            UnlockedVolume volume;
            using (var secret = ReadSecret(result.GetValue(passFile), result.GetValue(keyFile)))
                volume = OpenVolume(source, secret);
            EncryptionLayer? layer = null;
            var job = new MountJob
            {
                MountPoint = target,
                Options = parsed.Mount with { Subtype = "cryptstack" },
                NotifyParent = notify,
                PidFile = MountOptionSet.AbsoluteOrNull(result.GetValue(options.PidFile)),
                LogFile = MountOptionSet.AbsoluteOrNull(result.GetValue(options.LogFile)),
                Idle = parsed.Idle,
                CreateFileSystem = loggers =>
                {
                    layer = new EncryptionLayer(volume, loggers, new EncryptionOptions { SharedStorage = !parsed.Stack.CacheDirectories });
                    return new StackFileSystem(source, layer.Transforms, parsed.Stack, loggers.CreateLogger("cryptstack"));
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

    private static VolumeSecret ReadSecret(string? passFile, string? keyFile)
    {
        if (passFile != null && keyFile != null)
            throw new CliException(ExitCodes.Usage, "give either --passfile or --keyfile, not both");
        if (keyFile != null) return VolumeSecret.KeyFile(ReadFile(keyFile));
        if (passFile != null) return VolumeSecret.PassphraseFromFile(ReadFile(passFile));
        throw new CliException(ExitCodes.Usage, "no secret given: use --passfile FILE or --keyfile FILE");
    }

    private static byte[] ReadFile(string path)
    {
        try { return File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.Usage, $"{path}: cannot read ({e.Message})");
        }
    }

    internal static UnlockedVolume OpenVolume(string cipherDir, VolumeSecret secret)
    {
        try { return CryptVolume.Open(cipherDir, secret); }
        catch (VolumeException e)
        {
            throw new CliException(e.Kind switch
            {
                VolumeErrorKind.WrongSecret or VolumeErrorKind.InvalidSecret => ExitCodes.WrongSecret,
                VolumeErrorKind.NotAVolume => ExitCodes.NotAVolume,
                VolumeErrorKind.CorruptConfig or VolumeErrorKind.Unsupported => ExitCodes.CorruptConfig,
                _ => ExitCodes.Error,
            }, e.Message);
        }
    }
}
