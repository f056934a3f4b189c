namespace CryptStack.Offline.Check;

public sealed partial class StrayFileCheck
{
    /// <summary>
    /// A temporary file of an interrupted save is removed only when it provably holds nothing: it is empty, or byte for
    /// byte the file it was to replace. Anything else may be the newer config of a save that did not finish; it stays.
    /// </summary>
    partial void Repair(CheckContext context)
    {
        foreach (var (problem, path) in _temporary)
        {
            string target = path[..^4];
            try
            {
                byte[] content = File.ReadAllBytes(path);
                bool redundant = content.Length == 0 || (File.Exists(target) && content.AsSpan().SequenceEqual(File.ReadAllBytes(target)));
                if (!redundant) continue;
                File.Delete(path);
                context.Findings.MarkRepaired(problem, content.Length == 0 ? "removed (it was empty)" : $"removed (identical to {Path.GetFileName(target)})");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }
}
