namespace CryptStack.Offline.Check;

/// <summary>How much a finding matters: a problem makes fsck exit "problems found"; a note is information only.</summary>
public enum Severity
{
    Problem,
    Note,
}

/// <summary>
/// One finding of fsck, in words. <see cref="CipherPath"/> is always set (the backing file or directory, absolute);
/// <see cref="PlainPath"/> when the plaintext path can be derived. <see cref="Area"/> is the checker that found it
/// (config, content, names, link-targets, xattrs, stray-files, ...); a problem is reported once per backing path and area.
/// </summary>
public sealed record CheckProblem(string Area, string? PlainPath, string CipherPath, string What, Severity Severity = Severity.Problem)
{
    /// <summary>Set when <c>--repair</c> fixed it: what was done, in words.</summary>
    public string? Repaired { get; init; }

    public override string ToString()
    {
        string where = PlainPath is null ? CipherPath : $"{PlainPath} (ciphertext {CipherPath})";
        string prefix = Severity == Severity.Note ? "note: " : "";
        return Repaired is null ? $"{prefix}{where}: {What}" : $"{prefix}{where}: {What}; repaired: {Repaired}";
    }
}

/// <summary>What a whole check found.</summary>
public sealed record CheckSummary(long Entries, long Files, long Bytes, IReadOnlyList<CheckProblem> Findings)
{
    public int Problems => Findings.Count(f => f.Severity == Severity.Problem);
    public int Repaired => Findings.Count(f => f.Severity == Severity.Problem && f.Repaired != null);
    public int Remaining => Problems - Repaired;
}

/// <summary>
/// The findings of one run: each (backing path, area) once, in the order found, handed to a listener as they come
/// (so a long run shows them at once).
/// </summary>
public sealed class CheckFindings(Action<CheckProblem>? listener)
{
    private readonly List<CheckProblem> _all = [];
    private readonly Dictionary<(string, string), int> _index = [];

    public IReadOnlyList<CheckProblem> All => _all;

    /// <summary>False when the same area already reported this backing path.</summary>
    public bool Add(CheckProblem problem)
    {
        var key = (problem.CipherPath, problem.Area);
        if (_index.ContainsKey(key)) return false;
        _index[key] = _all.Count;
        _all.Add(problem);
        listener?.Invoke(problem);
        return true;
    }

    public bool Has(string cipherPath, string area) => _index.ContainsKey((cipherPath, area));

    /// <summary>Marks a finding repaired (reported again to the listener with what was done).</summary>
    public void MarkRepaired(CheckProblem problem, string what)
    {
        int i = _index[(problem.CipherPath, problem.Area)];
        _all[i] = _all[i] with { Repaired = what };
        listener?.Invoke(_all[i]);
    }
}
