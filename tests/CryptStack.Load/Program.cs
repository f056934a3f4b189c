using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using CryptStack.Load;

// cryptstack-load run --mount DIR [--mount DIR2] [--daemon PID ...] [--workers 16] [--seconds 30] [--seed N]
//                     [--rss-growth-limit-mib M] [--stall-seconds 30] [--samples FILE]
// cryptstack-load worker --mount DIR [--mount DIR2] --id I --seed N --seconds S
// Exit codes: 0 clean, 1 a worker failed, 2 the tree differs from the models, 3 stalled (deadlock),
// 4 a daemon's memory grew past the limit over the second half, 64 bad usage.

var options = Options.Parse(args.Skip(1).ToArray());
return args.FirstOrDefault() switch
{
    "worker" => new Worker(options.Mounts.ToArray(), options.Int("id"), options.Int("seed"), options.Double("seconds", 30)).Run(),
    "run" => new Coordinator(options).Run(),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: cryptstack-load run --mount DIR [--mount DIR2] [--daemon PID] [--workers N] [--seconds S] [--seed N] [--rss-growth-limit-mib M]");
    return 64;
}

namespace CryptStack.Load
{
    internal sealed class Options
    {
        public List<string> Mounts { get; } = [];
        public List<int> Daemons { get; } = [];
        private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

        public static Options Parse(string[] args)
        {
            var o = new Options();
            for (int i = 0; i + 1 < args.Length; i += 2)
            {
                string key = args[i].TrimStart('-'), value = args[i + 1];
                if (key == "mount") o.Mounts.Add(Path.GetFullPath(value));
                else if (key == "daemon") o.Daemons.Add(int.Parse(value, CultureInfo.InvariantCulture));
                else o._values[key] = value;
            }
            return o;
        }

        public string? String(string key) => _values.GetValueOrDefault(key);
        public int Int(string key, int fallback = 0) => _values.TryGetValue(key, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        public double Double(string key, double fallback) => _values.TryGetValue(key, out var v) ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;
    }

    /// <summary>One reading of a daemon's memory and descriptors from /proc.</summary>
    internal readonly record struct DaemonSample(double Seconds, long RssKiB, long AnonKiB, int Descriptors, int Threads)
    {
        public static DaemonSample? Take(int pid, double seconds)
        {
            try
            {
                long rss = 0, anon = 0;
                int threads = 0;
                foreach (string line in File.ReadLines($"/proc/{pid}/status"))
                {
                    if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = Kib(line);
                    else if (line.StartsWith("RssAnon:", StringComparison.Ordinal)) anon = Kib(line);
                    else if (line.StartsWith("Threads:", StringComparison.Ordinal)) threads = (int)Kib(line);
                }
                int fds = Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd").Count();
                return new DaemonSample(seconds, rss, anon, fds, threads);
            }
            catch (IOException) { return null; }
            catch (UnauthorizedAccessException) { return null; }
        }

        private static long Kib(string line) =>
            long.Parse(line.Split(' ', '\t').Where(s => s.Length > 0).ElementAt(1), CultureInfo.InvariantCulture);
    }

    internal sealed class Coordinator(Options options)
    {
        private readonly object _gate = new();
        private readonly Dictionary<int, DateTime> _lastHeard = [];
        private readonly List<string> _failures = [];
        private readonly List<(int Worker, string Path, string Hash)> _models = [];
        private readonly List<(int Worker, string File, string Hash)> _slots = [];
        private readonly Dictionary<int, List<DaemonSample>> _samples = [];
        private long _operations;

        public int Run()
        {
            int workers = options.Int("workers", 16);
            double seconds = options.Double("seconds", 30);
            int seed = options.Int("seed", Random.Shared.Next(1, 1_000_000));
            double stall = options.Double("stall-seconds", 30);
            double limitMiB = options.Double("rss-growth-limit-mib", double.PositiveInfinity);
            Console.WriteLine($"load: seed {seed}, {workers} workers, {seconds} s, mounts {string.Join(" ", options.Mounts)}");
            foreach (int pid in options.Daemons) _samples[pid] = [];

            var clock = Stopwatch.StartNew();
            var processes = Enumerable.Range(0, workers).Select(i => StartWorker(i, seed, seconds)).ToList();
            bool stalled = false;
            while (processes.Any(p => !p.HasExited))
            {
                Thread.Sleep(1000);
                foreach (int pid in options.Daemons)
                    if (DaemonSample.Take(pid, clock.Elapsed.TotalSeconds) is { } s) _samples[pid].Add(s);
                DateTime quietSince;
                lock (_gate) quietSince = _lastHeard.Values.DefaultIfEmpty(DateTime.UtcNow).Min();
                bool overdue = clock.Elapsed.TotalSeconds > seconds + stall * 4;
                if ((DateTime.UtcNow - quietSince).TotalSeconds > stall || overdue)
                {
                    stalled = true;
                    Console.WriteLine($"load: STALLED: a worker made no progress for {stall} s (or the run is overdue); daemon thread stacks follow");
                    foreach (int pid in options.Daemons) Console.WriteLine(ThreadStacks.Of(pid));
                    foreach (var p in processes) if (!p.HasExited) p.Kill();
                    break;
                }
            }
            foreach (var p in processes) p.WaitForExit();
            Console.WriteLine($"load: {_operations} operations in {clock.Elapsed.TotalSeconds:F0} s");

            int rc = 0;
            if (stalled) rc = 3;
            else if (_failures.Count > 0 || processes.Any(p => p.ExitCode != 0))
            {
                foreach (string f in _failures) Console.WriteLine("load: " + f);
                rc = 1;
            }
            else if (!VerifyThroughEveryMount()) rc = 2;
            if (!ReportMemory(limitMiB) && rc == 0) rc = 4;
            if (options.String("samples") is { } csv) WriteSamples(csv);
            Console.WriteLine(rc == 0 ? "load: clean" : $"load: FAILED (exit {rc}); rerun with --seed {seed}");
            return rc;
        }

        private Process StartWorker(int id, int seed, double seconds)
        {
            string apphost = Path.Combine(AppContext.BaseDirectory, "CryptStack.Load");
            var psi = File.Exists(apphost)
                ? new ProcessStartInfo(apphost)
                : new ProcessStartInfo(Environment.ProcessPath!) { ArgumentList = { typeof(Coordinator).Assembly.Location } };
            foreach (string a in (string[])["worker", "--id", $"{id}", "--seed", $"{seed}", "--seconds", seconds.ToString(CultureInfo.InvariantCulture)])
                psi.ArgumentList.Add(a);
            foreach (string m in options.Mounts) { psi.ArgumentList.Add("--mount"); psi.ArgumentList.Add(m); }
            psi.RedirectStandardOutput = true;
            psi.RedirectStandardError = true;
            var p = new Process { StartInfo = psi };
            p.OutputDataReceived += (_, e) => { if (e.Data != null) Heard(id, e.Data); };
            p.ErrorDataReceived += (_, e) => { if (!string.IsNullOrEmpty(e.Data)) lock (_gate) _failures.Add($"worker {id} stderr: {e.Data}"); };
            lock (_gate) _lastHeard[id] = DateTime.UtcNow;
            p.Start();
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            return p;
        }

        private void Heard(int id, string line)
        {
            string[] f = line.Split(' ');
            lock (_gate)
            {
                _lastHeard[id] = DateTime.UtcNow;
                switch (f[0])
                {
                    case "model": _models.Add((id, f[2], f[3])); break;
                    case "slot": _slots.Add((id, f[2], f[3])); break;
                    case "done":
                        _operations += long.Parse(f[2], CultureInfo.InvariantCulture);
                        _lastHeard[id] = DateTime.MaxValue;
                        break;
                    case "failed":
                        _failures.Add(line);
                        _lastHeard[id] = DateTime.MaxValue;
                        break;
                }
            }
        }

        /// <summary>Every worker's files and shared-file slots, read back through every mount after the load.</summary>
        private bool VerifyThroughEveryMount()
        {
            int bad = 0;
            foreach (string mount in options.Mounts)
            {
                foreach (var (worker, path, hash) in _models)
                {
                    string full = Path.Combine(mount, path);
                    string actual = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(full)));
                    if (actual != hash && bad++ < 10) Console.WriteLine($"load: MISMATCH {full} (worker {worker})");
                }
                foreach (var (worker, file, hash) in _slots)
                {
                    var slot = new byte[Worker.SlotSize];
                    using (var h = File.OpenHandle(Path.Combine(mount, file)))
                        RandomAccess.Read(h, slot, (long)worker * Worker.SlotSize);
                    if (Convert.ToHexStringLower(SHA256.HashData(slot)) != hash && bad++ < 10)
                        Console.WriteLine($"load: MISMATCH {Path.Combine(mount, file)} slot {worker}");
                }
            }
            Console.WriteLine($"load: verified {_models.Count} files and {_slots.Count} shared slots through {options.Mounts.Count} mount(s): {(bad == 0 ? "all match" : $"{bad} differ")}");
            return bad == 0;
        }

        /// <summary>
        /// Start, middle, peak and end RSS of each daemon; growth is the end (median of the last samples)
        /// over the middle (median around the half-way point), so warm-up does not count and a leak does.
        /// </summary>
        private bool ReportMemory(double limitMiB)
        {
            bool ok = true;
            foreach (var (pid, samples) in _samples)
            {
                if (samples.Count < 6) { Console.WriteLine($"load: daemon {pid}: too few samples ({samples.Count})"); continue; }
                int n = samples.Count, w = Math.Max(1, n / 10);
                double Median(IEnumerable<DaemonSample> s) => s.Select(x => (double)x.RssKiB).Order().ElementAt(s.Count() / 2) / 1024;
                double start = samples[0].RssKiB / 1024.0, mid = Median(samples.Skip(n / 2 - w / 2).Take(w)),
                    end = Median(samples.Skip(n - w)), peak = samples.Max(s => s.RssKiB) / 1024.0;
                double growth = end - mid;
                var last = samples[^1];
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"load: daemon {pid}: RSS start {start:F0} MiB, middle {mid:F0}, peak {peak:F0}, end {end:F0} (anon {last.AnonKiB / 1024.0:F0}); growth over the second half {growth:F1} MiB; descriptors {samples[0].Descriptors}->{last.Descriptors}, threads {samples[0].Threads}->{last.Threads}"));
                if (growth > limitMiB)
                {
                    Console.WriteLine($"load: daemon {pid}: RSS grew {growth:F1} MiB over the second half, more than the {limitMiB} MiB allowed");
                    ok = false;
                }
            }
            return ok;
        }

        private void WriteSamples(string path)
        {
            using var w = new StreamWriter(path);
            w.WriteLine("daemon,seconds,rss_kib,anon_kib,descriptors,threads");
            foreach (var (pid, samples) in _samples)
                foreach (var s in samples)
                    w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{pid},{s.Seconds:F1},{s.RssKiB},{s.AnonKiB},{s.Descriptors},{s.Threads}"));
        }
    }

    /// <summary>What each daemon thread is blocked on: its name, kernel wait channel and kernel stack, and the managed stacks when dotnet-stack is installed.</summary>
    internal static class ThreadStacks
    {
        public static string Of(int pid)
        {
            var text = new System.Text.StringBuilder($"--- daemon {pid} threads ---\n");
            try
            {
                foreach (string task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
                {
                    string comm = Read(Path.Combine(task, "comm")).Trim(), wchan = Read(Path.Combine(task, "wchan")).Trim();
                    text.Append($"{Path.GetFileName(task)} {comm} wchan={wchan}\n");
                    foreach (string frame in Read(Path.Combine(task, "stack")).Split('\n', StringSplitOptions.RemoveEmptyEntries).Take(8))
                        text.Append("    ").Append(frame).Append('\n');
                }
            }
            catch (IOException e) { text.Append(e.Message).Append('\n'); }
            string? tool = FindOnPath("dotnet-stack");
            if (tool != null)
            {
                var psi = new ProcessStartInfo(tool, ["report", "-p", $"{pid}"]) { RedirectStandardOutput = true, RedirectStandardError = true };
                using var p = Process.Start(psi)!;
                string output = p.StandardOutput.ReadToEnd();
                p.WaitForExit(30_000);
                text.Append(output);
            }
            else text.Append("(managed stacks: install dotnet-stack to see them)\n");
            return text.ToString();
        }

        private static string Read(string path)
        {
            try { return File.ReadAllText(path); } catch (IOException) { return ""; } catch (UnauthorizedAccessException) { return ""; }
        }

        private static string? FindOnPath(string command) =>
            (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, command)).FirstOrDefault(File.Exists);
    }
}
