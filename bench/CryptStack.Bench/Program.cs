using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/CryptStack.Bench -- --filter '*' --inProcess
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
