using System.Diagnostics;
using System.Text.Json;
using Pipeline.Contracts.Avro;
using Pipeline.Testing;

namespace Pipeline.Contracts.Tests;

/// <summary>A second, independent Avro implementation (Debian's python3-avro) decodes what we encode.</summary>
public sealed class PythonAvroInteropTests
{
    private const string Python = "/usr/bin/python3";
    private const string InstallHint = "apt-get update && apt-get install -y python3-avro";

    [Fact]
    public void PythonAvro_EveryEncodedSample_DecodesToTheSameFieldsAndFingerprint()
    {
        EnsurePythonAvro();
        var dir = Directory.CreateTempSubdirectory("avro-interop-");
        try
        {
            var names = ContractSamples.AllNames;
            var args = new List<string> { Path.Combine(AppContext.BaseDirectory, "decode_single_object.py") };
            foreach (var name in names)
            {
                var sample = ContractSamples.ByName(name);
                var message = Path.Combine(dir.FullName, name + ".bin");
                File.WriteAllBytes(message, ContractSamples.Encode(sample));
                var avsc = Path.Combine(SingleObjectUnitTests.RepositoryRoot(), "schemas", ContractRegistry.For(sample.GetType()).Name + ".avsc");
                args.AddRange([avsc, message]);
            }

            var lines = Run(Python, args).Split('\n', StringSplitOptions.RemoveEmptyEntries);

            Assert.Equal(names.Length, lines.Length);
            for (var i = 0; i < names.Length; i++)
            {
                var sample = ContractSamples.ByName(names[i]);
                var schema = ContractRegistry.For(sample.GetType());
                var result = JsonDocument.Parse(lines[i]).RootElement;
                Assert.Equal(schema.CanonicalForm, result.GetProperty("canonical").GetString());
                Assert.Equal(schema.Fingerprint.ToString("X16"), result.GetProperty("fingerprint").GetString());
                Assert.Equal(schema.Fingerprint.ToString("X16"), result.GetProperty("messageFingerprint").GetString());
                Assert.Equal(FieldView.Of(sample), FieldView.Of(result.GetProperty("datum")));
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static void EnsurePythonAvro()
    {
        if (!File.Exists(Python))
        {
            Assert.Fail($"{Python} is missing; install it with: {InstallHint}");
        }
        try
        {
            Run(Python, ["-c", "import avro.io, avro.schema"]);
        }
        catch (InvalidOperationException e)
        {
            Assert.Fail($"python3-avro is not importable by {Python} ({e.Message}); install it with: {InstallHint}");
        }
    }

    private static string Run(string file, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} exited with {process.ExitCode}: {stderr}");
        }
        return stdout.Result;
    }
}
