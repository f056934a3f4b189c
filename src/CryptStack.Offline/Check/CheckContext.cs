using CryptStack.Volume;

namespace CryptStack.Offline.Check;

/// <summary>What every checker of one fsck run shares: the volume, the findings, the progress, and whether to repair.</summary>
public sealed class CheckContext(OfflineVolume volume, CheckFindings findings, WorkProgress progress, bool repair)
{
    public OfflineVolume Volume { get; } = volume;
    public CheckFindings Findings { get; } = findings;
    public WorkProgress Progress { get; } = progress;

    /// <summary>--repair: fix what is safe (never deleting data) and say what was done.</summary>
    public bool Repair { get; } = repair;

    public VolumeConfig Config => Volume.Unlocked.Config;
    public string CipherDir => Volume.CipherDir;

    /// <summary>Every directory id read during the walk, with the directory's plaintext path (null below a name that does not decrypt) and backing path.</summary>
    public Dictionary<string, (string? PlainPath, string CipherPath)> DirectoryIds { get; } = [];

    public CheckProblem Report(string area, string? plainPath, string cipherPath, string what, Severity severity = Severity.Problem)
    {
        var problem = new CheckProblem(area, plainPath, cipherPath, what, severity);
        Findings.Add(problem);
        return problem;
    }
}
