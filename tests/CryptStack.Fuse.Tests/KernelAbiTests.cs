using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using CryptStack.Fuse.Protocol;

namespace CryptStack.Fuse.Tests;

/// <summary>
/// Every protocol struct and constant against the kernel's header (Kernel/fuse_kernel.h, 7.45),
/// compiled by the C compiler: a size or offset that drifts would corrupt every request.
/// </summary>
public class KernelAbiTests
{
    private static readonly Type[] Structs = typeof(FuseAttr).Assembly.GetTypes()
        .Where(t => t.Namespace == "CryptStack.Fuse.Protocol" && t.IsValueType && !t.IsEnum && t.Name.StartsWith("Fuse", StringComparison.Ordinal)
                    && t.IsPublic)
        .OrderBy(t => t.Name, StringComparer.Ordinal).ToArray();

    private static string Snake(string pascal)
    {
        var sb = new StringBuilder();
        foreach (char c in pascal)
        {
            if (char.IsUpper(c) && sb.Length > 0) sb.Append('_');
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }

    private static string OpcodeName(FuseOpcode op) => op switch
    {
        FuseOpcode.NotifyReply => "FUSE_NOTIFY_REPLY",
        FuseOpcode.BatchForget => "FUSE_BATCH_FORGET",
        FuseOpcode.CopyFileRange => "FUSE_COPY_FILE_RANGE",
        FuseOpcode.CopyFileRange64 => "FUSE_COPY_FILE_RANGE_64",
        _ => "FUSE_" + op.ToString().ToUpperInvariant(),
    };

    /// <summary>(C expression, our value) pairs for the constants we send or test.</summary>
    private static IEnumerable<(string C, ulong Ours)> Constants()
    {
        foreach (FuseOpcode op in Enum.GetValues<FuseOpcode>()) yield return (OpcodeName(op), (ulong)op);
        foreach (FuseNotifyCode code in Enum.GetValues<FuseNotifyCode>())
            yield return ("FUSE_NOTIFY_" + Snake(code.ToString()).ToUpperInvariant(), (ulong)code);
        for (int bit = 0; bit < 43; bit++)
        {
            string name = FuseInitFlags.Describe(1UL << bit);
            // Bits below 32 are int constants in C ((1 << 31) is negative): compare them as 32-bit words.
            yield return (bit < 32 ? $"(uint32_t)FUSE_{name}" : "FUSE_" + name, 1UL << bit);
        }
        yield return ("FOPEN_DIRECT_IO", FOpen.DirectIo);
        yield return ("FOPEN_KEEP_CACHE", FOpen.KeepCache);
        yield return ("FOPEN_NONSEEKABLE", FOpen.NonSeekable);
        yield return ("FOPEN_CACHE_DIR", FOpen.CacheDir);
        yield return ("FOPEN_PASSTHROUGH", FOpen.Passthrough);
        yield return ("FATTR_MODE", FAttr.Mode);
        yield return ("FATTR_FH", FAttr.Fh);
        yield return ("FATTR_ATIME_NOW", FAttr.ATimeNow);
        yield return ("FATTR_MTIME_NOW", FAttr.MTimeNow);
        yield return ("FATTR_CTIME", FAttr.CTime);
        yield return ("FATTR_KILL_SUIDGID", FAttr.KillSuidGid);
        yield return ("FUSE_GETATTR_FH", FuseRequestFlags.GetAttrFh);
        yield return ("FUSE_WRITE_KILL_SUIDGID", FuseRequestFlags.WriteKillSuidGid);
        yield return ("FUSE_OPEN_KILL_SUIDGID", FuseRequestFlags.OpenKillSuidGid);
        yield return ("FUSE_FSYNC_FDATASYNC", FuseRequestFlags.FSyncDataSync);
        yield return ("FUSE_KERNEL_VERSION", FuseKernel.Version);
        yield return ("FUSE_KERNEL_MINOR_VERSION", FuseKernel.MinorVersion);
        yield return ("FUSE_DEV_IOC_CLONE", FuseKernel.DevIocClone);
        yield return ("FUSE_DEV_IOC_BACKING_OPEN", FuseKernel.DevIocBackingOpen);
        yield return ("FUSE_DEV_IOC_BACKING_CLOSE", FuseKernel.DevIocBackingClose);
        yield return ("FUSE_IO_URING_CMD_REGISTER", FuseKernel.IoUringCmdRegister);
        yield return ("FUSE_IO_URING_CMD_COMMIT_AND_FETCH", FuseKernel.IoUringCmdCommitAndFetch);
    }

    private static Dictionary<string, ulong> CompileAndRun(IEnumerable<(string Key, string Expr)> values)
    {
        string dir = Path.Combine(Path.GetTempPath(), "cryptstack-abi-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            var c = new StringBuilder("#include <stdio.h>\n#include <stddef.h>\n#include <sys/ioctl.h>\n#include \"fuse_kernel.h\"\nint main(void) {\n");
            foreach (var (key, expr) in values)
                c.Append(CultureInfo($"  printf(\"%s %llu\\n\", \"{key}\", (unsigned long long)({expr}));\n"));
            c.Append("  return 0;\n}\n");
            File.WriteAllText(Path.Combine(dir, "abi.c"), c.ToString());
            File.Copy(Path.Combine(AppContext.BaseDirectory, "Kernel", "fuse_kernel.h"), Path.Combine(dir, "fuse_kernel.h"));
            Run("cc", dir, "-o", "abi", "abi.c");
            return Run(Path.Combine(dir, "abi"), dir).Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => l.Split(' ')).ToDictionary(p => p[0], p => ulong.Parse(p[1]));
        }
        finally { Directory.Delete(dir, true); }
    }

    private static string CultureInfo(FormattableString s) => FormattableString.Invariant(s);

    private static string Run(string file, string dir, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        string err = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(60_000), file + " timed out");
        Assert.True(p.ExitCode == 0, $"{file} failed: {err}");
        return output;
    }

    [SkippableFact]
    public void Every_struct_has_the_size_and_field_offsets_of_the_kernel_header()
    {
        Requires.Tool("cc", "compiles the kernel header to read its sizes and offsets: apt-get install gcc");
        var expected = new List<(string Key, string Expr, ulong Ours)>();
        foreach (var t in Structs)
        {
            string c = "struct " + Snake(t.Name);
            expected.Add((Snake(t.Name), $"sizeof({c})", (ulong)Marshal.SizeOf(t)));
            foreach (var f in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            {
                string field = Snake(f.Name);
                expected.Add((Snake(t.Name) + "." + field, $"offsetof({c}, {field})", (ulong)Marshal.OffsetOf(t, f.Name)));
            }
        }
        Assert.True(Structs.Length >= 40, $"only {Structs.Length} structs found");
        var kernel = CompileAndRun(expected.Select(e => (e.Key, e.Expr)));
        var wrong = expected.Where(e => kernel[e.Key] != e.Ours).Select(e => $"{e.Key}: kernel {kernel[e.Key]}, ours {e.Ours}").ToList();
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [SkippableFact]
    public void Every_opcode_flag_and_ioctl_number_matches_the_kernel_header()
    {
        Requires.Tool("cc", "compiles the kernel header to read its constants: apt-get install gcc");
        var ours = Constants().ToList();
        var kernel = CompileAndRun(ours.Select(o => (o.C.Replace("(uint32_t)", ""), o.C)));
        ours = ours.Select(o => (o.C.Replace("(uint32_t)", ""), o.Ours)).ToList();
        var wrong = ours.Where(o => kernel[o.C] != o.Ours).Select(o => $"{o.C}: kernel {kernel[o.C]}, ours {o.Ours}").ToList();
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }
}
