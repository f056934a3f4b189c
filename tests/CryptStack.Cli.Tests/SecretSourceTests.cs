using CryptStack.Cli.Tests.Harness;

namespace CryptStack.Cli.Tests;

/// <summary>Every way a secret reaches the CLI: files, a command, stdin, a terminal; and how each fails.</summary>
public sealed class SecretSourceTests : IDisposable
{
    private readonly Session _s = new();

    public void Dispose() => _s.Dispose();

    [Fact]
    public void Init_with_passfile_makes_a_volume_its_first_line_opens()
    {
        string pass = _s.PassFile("passfile secret 1");
        File.AppendAllText(pass, "this second line is ignored\n");
        _s.Init(["--passfile", pass]);

        Assert.Equal(0, _s.Opens(["--passfile", pass]));
        Assert.Equal(0, _s.Opens([], stdin: "passfile secret 1\n"));
    }

    [Fact]
    public void Init_with_extpass_uses_the_first_line_the_command_prints()
    {
        _s.Secret("extpass secret 2");
        _s.Init(["--extpass", "printf 'extpass secret 2\\nsecond line\\n'"]);

        Assert.Equal(0, _s.Opens(["--extpass", "echo 'extpass secret 2'"]));
        Assert.Equal(0, _s.Opens([], stdin: "extpass secret 2\n"));
    }

    [Fact]
    public void Init_with_keyfile_makes_a_keyfile_slot_that_only_the_whole_file_opens()
    {
        string key = _s.KeyFile();
        _s.Init(["--keyfile", key]);

        Assert.Contains("keyfile", _s.RunOk(["key", "list", _s.Volume]).StdOut);
        Assert.Equal(0, _s.Opens(["--keyfile", key]));
        string other = _s.KeyFile("other.key");
        Assert.Equal(ExitCodes.WrongSecret, _s.Opens(["--keyfile", other]));
    }

    [Fact]
    public void Init_reads_one_line_of_stdin_when_it_is_not_a_terminal()
    {
        _s.Secret("stdin secret 3");
        _s.Init([], stdin: "stdin secret 3\r\n");

        Assert.Equal(0, _s.Opens([], stdin: "stdin secret 3\n"));
        string pass = _s.PassFile("stdin secret 3");
        Assert.Equal(0, _s.Opens(["--passfile", pass]));
    }

    [Fact]
    public void Init_with_scrypt_records_scrypt_parameters()
    {
        string pass = _s.PassFile("scrypt secret");
        _s.Init(["--passfile", pass], kdf: ["--scrypt", "--kdf-memory", "64"]);

        string list = _s.RunOk(["key", "list", _s.Volume]).StdOut;
        Assert.Contains("scrypt", list);
        Assert.Contains("n=64 p=1 r=8", list);
        Assert.Equal(0, _s.Opens(["--passfile", pass]));
    }

    [Fact]
    public void Secret_stdin_takes_the_raw_bytes_a_parent_pipes_and_wins_over_other_sources()
    {
        string key = _s.KeyFile();
        _s.Init(["--keyfile", key]);
        // What the mount command's parent does for its daemon child: the same arguments, plus the kind, secret on stdin.
        string wrong = _s.PassFile("not used", "wrong.txt");
        var psi = new System.Diagnostics.ProcessStartInfo(Mount.Tests.Harness.Cli.Executable) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in new[] { "key", "test", _s.Volume, "--passfile", wrong, "--secret-stdin", "keyfile" }) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        p.StandardInput.BaseStream.Write(File.ReadAllBytes(key));
        p.StandardInput.Close();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        Assert.Contains("Opens slot 0 (keyfile)", output);
    }

    [Fact]
    public void Short_key_file_is_refused_as_an_invalid_secret()
    {
        string key = _s.KeyFile(length: 16);
        var r = _s.RunFails(ExitCodes.InvalidSecret, ["init", _s.Volume, "--print-recovery-key", "--keyfile", key, .. Session.CheapKdf]);
        Assert.Contains("at least 32", r.StdErr);
    }

    [Fact]
    public void Empty_passphrase_is_refused()
    {
        string pass = _s.PassFile("");
        var r = _s.RunFails(ExitCodes.InvalidSecret, ["init", _s.Volume, "--print-recovery-key", "--passfile", pass, .. Session.CheapKdf]);
        Assert.Contains("passphrase is empty", r.StdErr);
    }

    [Fact]
    public void Two_sources_for_one_secret_are_a_usage_error()
    {
        string pass = _s.PassFile("two sources");
        string key = _s.KeyFile();
        var r = _s.RunFails(ExitCodes.Usage, ["init", _s.Volume, "--print-recovery-key", "--passfile", pass, "--keyfile", key]);
        Assert.Contains("--passfile and --keyfile", r.StdErr);
        Assert.False(Directory.Exists(_s.Volume));
    }

    [Fact]
    public void Unreadable_sources_report_that_the_secret_is_unavailable()
    {
        var missing = _s.RunFails(ExitCodes.SecretUnavailable, ["init", _s.Volume, "--print-recovery-key", "--passfile", Path.Combine(_s.Root, "nope")]);
        Assert.Contains("cannot read", missing.StdErr);

        var failing = _s.RunFails(ExitCodes.SecretUnavailable, ["init", _s.Volume, "--print-recovery-key", "--extpass", "echo leaked-to-stdout-only; exit 3"]);
        Assert.Contains("exited with status 3", failing.StdErr);
        Assert.DoesNotContain("leaked-to-stdout-only", failing.StdErr + failing.StdOut);

        var empty = _s.RunFails(ExitCodes.SecretUnavailable, ["init", _s.Volume, "--print-recovery-key"], stdin: "");
        Assert.Contains("stdin is not a terminal", empty.StdErr);
    }

    [SkippableFact]
    public void Terminal_prompt_asks_twice_without_echo_and_refuses_a_mismatch()
    {
        Requires.Tool("/usr/bin/script", "util-linux's script gives the test a pseudo-terminal");

        string ok = RunOnTerminal(["init", _s.Volume, .. Session.CheapKdf], "typed on a tty", "typed on a tty");
        Assert.Contains("New passphrase:", ok);
        Assert.Contains("Repeat new passphrase:", ok);
        Assert.DoesNotContain("typed on a tty", ok);
        Assert.Contains("exit=0", ok);
        Assert.Equal(0, _s.Opens([], stdin: "typed on a tty\n"));

        string mismatch = RunOnTerminal(["init", Path.Combine(_s.Root, "second"), .. Session.CheapKdf], "first try", "second try");
        Assert.Contains("passphrases do not match", mismatch);
        Assert.Contains($"exit={ExitCodes.InvalidSecret}", mismatch);
    }

    /// <summary>Runs cryptstack on a pseudo-terminal, typing each line after a pause (typeahead would be echoed before the prompt turns echo off).</summary>
    private static string RunOnTerminal(string[] args, params string[] lines)
    {
        string command = string.Join(' ', new[] { Mount.Tests.Harness.Cli.Executable }.Concat(args).Select(a => "'" + a + "'")) + "; echo exit=$?";
        string typing = string.Concat(lines.Select(l => $"sleep 1.5; echo '{l}'; ")) + "sleep 3";
        var psi = new System.Diagnostics.ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"({typing}) | script -qec \"$0\" /dev/null");
        psi.ArgumentList.Add(command);
        using var p = System.Diagnostics.Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return output;
    }
}
