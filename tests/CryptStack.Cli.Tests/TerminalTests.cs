using CryptStack.Cli.Tests.Harness;

namespace CryptStack.Cli.Tests;

/// <summary>
/// A run on a terminal leaves the terminal as it found it: .NET's console initialisation would send
/// terminfo's keypad_xmit (ESC[?1h ESC=) and never undo it, so the user's arrow keys stop working in
/// less, vi and readline after any cryptstack command.
/// </summary>
public sealed class TerminalTests : IDisposable
{
    private readonly Session _s = new();

    public void Dispose() => _s.Dispose();

    [SkippableTheory]
    [InlineData("--version")]
    [InlineData("--help")]
    [InlineData("status")]
    [InlineData("info")]
    public void A_command_on_a_terminal_sends_no_keypad_transmit_sequence(string command)
    {
        Requires.Tool(Pty.Script, "util-linux's script gives the test a terminal (package bsdutils)");
        string[] args = command == "info" ? ["info", _s.Root] : [command];
        string output = Pty.Run(args);
        Assert.Contains("exit=", output);
        Assert.DoesNotContain("\u001b[?1h", output);
        Assert.DoesNotContain("\u001b=", output);
    }

    [SkippableFact]
    public void A_passphrase_prompt_on_a_terminal_sends_no_keypad_transmit_sequence()
    {
        Requires.Tool(Pty.Script, "util-linux's script gives the test a terminal (package bsdutils)");
        string output = Pty.Run(["init", _s.Volume, .. Session.CheapKdf], "typed at a terminal", "typed at a terminal");
        Assert.Contains("exit=0", output);
        Assert.Matches(Session.RecoveryKeyPattern(), output); // stdout is the terminal: the key is shown
        Assert.DoesNotContain("\u001b[?1h", output);
        Assert.DoesNotContain("\u001b=", output);
    }
}
