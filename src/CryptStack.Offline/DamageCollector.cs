using CryptStack.Encryption;

namespace CryptStack.Offline;

/// <summary>
/// Everything the encryption layer reported damaged, in order. A caller marks the count before an
/// operation and reads what that operation found with <see cref="Since"/>, then fills in what the layer
/// could not know (the plaintext path of an xattr's file or of a symlink).
/// </summary>
public sealed class DamageCollector : IDamageObserver
{
    private readonly List<DamageReport> _reports = [];

    public int Count
    {
        get { lock (_reports) return _reports.Count; }
    }

    public void Found(DamageReport report)
    {
        lock (_reports) _reports.Add(report);
    }

    public IReadOnlyList<DamageReport> Since(int mark)
    {
        lock (_reports) return _reports.GetRange(mark, _reports.Count - mark);
    }
}
