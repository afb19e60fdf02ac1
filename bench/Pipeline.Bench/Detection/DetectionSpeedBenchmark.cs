using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Pipeline.Detection;

namespace Pipeline.Bench.Detection;

/// <summary>
/// <c>detection-speed</c>: fit and score time of every detector on 100k × 16 (seeded latent-factor data with 2 %
/// correlation-breaking anomalies), NED batched scoring throughput through <see cref="IAnomalyDetector.Score"/> on one
/// thread, and a side-by-side with scikit-learn's IsolationForest, PCA and KMeans on identical data (Debian's
/// python3-sklearn via /usr/bin/python3), once pinned to one thread (like ours) and once with its default threads.
/// Prints figures and ratios; never passes or fails.
/// Options: <c>--rows N</c> (default 100000), <c>--cols N</c> (16), <c>--seed N</c> (7), <c>--repeats N</c> (3: warm fits
/// and scorings timed per detector, on both sides; the median is reported), <c>--no-sklearn</c>.
/// </summary>
public static class DetectionSpeedBenchmark
{
    private const int Trees = 100;
    private const int Clusters = 8;
    private const int Restarts = 3;

    /// <summary>Runs the benchmark.</summary>
    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        var inv = CultureInfo.InvariantCulture;
        var rows = DetectionQualityBenchmark.IntOption(args, "--rows", 100_000);
        var cols = DetectionQualityBenchmark.IntOption(args, "--cols", 16);
        var seed = DetectionQualityBenchmark.IntOption(args, "--seed", 7);
        var repeats = Math.Max(1, DetectionQualityBenchmark.IntOption(args, "--repeats", 3));
        var (train, _) = LatentData(rows, cols, seed, 0.02);
        var (test, labels) = LatentData(rows, cols, seed + 1, 0.02);
        Console.WriteLine($"# detection-speed: {rows} x {cols}, {labels.Count(l => l)} anomalous test rows, {Environment.ProcessorCount} cores, .NET {Environment.Version}, median of {repeats} warm runs");
        Console.WriteLine($"# load average at start: {LoadAverage()}");
        Console.WriteLine();

        var ours = new Dictionary<string, (double Fit, double Score, double Auc)>();
        var coldFits = new Dictionary<string, double>();
        var runs = new (string Name, Func<IAnomalyDetector> Fit)[]
        {
            ("isolation_forest", () => IsolationForestDetector.Fit(train, new IsolationForestOptions { Trees = Trees, Seed = seed })),
            ("pca", () => PcaMahalanobisDetector.Fit(train, new PcaMahalanobisOptions { TrimIterations = 0, Components = cols, Seed = seed })),
            ("pca_trimmed_default", () => PcaMahalanobisDetector.Fit(train, new PcaMahalanobisOptions { Seed = seed })),
            ("kmeans", () => KMeansDetector.Fit(train, new KMeansOptions { Clusters = Clusters, Restarts = Restarts, Seed = seed })),
            ("cblof", () => CblofDetector.Fit(train, new CblofOptions { Clustering = new KMeansOptions { Clusters = Clusters, Restarts = Restarts }, Seed = seed })),
            ("ned", () => NedDetector.Fit(train, new NedOptions { Seed = seed })),
        };

        IAnomalyDetector? ned = null;
        var scores = new float[rows];
        foreach (var (name, fit) in runs)
        {
            ct.ThrowIfCancellationRequested();
            // The first fit in the process also pays the JIT (tier-0 code, on-stack replacement of hot loops);
            // scikit-learn's compiled kernels have no such cost, and a long-running service pays it once. The first
            // fit is reported as "cold"; the comparison uses the second, warm one.
            var clock = Stopwatch.StartNew();
            var detector = fit();
            coldFits[name] = clock.Elapsed.TotalSeconds;
            var fitTimes = new List<double>();
            for (var i = 0; i < (name == "ned" ? 1 : repeats); i++) // NED takes seconds per fit and is not compared
            {
                clock.Restart();
                detector = fit();
                fitTimes.Add(clock.Elapsed.TotalSeconds);
            }

            detector.Score(test.Values, scores); // warm the scoring path too
            var scoreTimes = new List<double>();
            for (var i = 0; i < repeats; i++)
            {
                clock.Restart();
                detector.Score(test.Values, scores);
                scoreTimes.Add(clock.Elapsed.TotalSeconds);
            }

            var fitSeconds = Median(fitTimes);
            var scoreSeconds = Median(scoreTimes);
            var auc = DetectionMetrics.RocAuc(scores, labels);
            ours[name] = (fitSeconds, scoreSeconds, auc);
            if (name == "ned") ned = detector;
        }

        // NED throughput: repeated batched scoring on this thread only (the managed forward pass is single-threaded).
        var nedBatches = Math.Max(1, 2_000_000 / rows);
        ned!.Score(test.Values, scores); // warm-up
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var throughputClock = Stopwatch.StartNew();
        for (var i = 0; i < nedBatches; i++) ned.Score(test.Values, scores);
        var vectorsPerSecond = nedBatches * (double)rows / throughputClock.Elapsed.TotalSeconds;
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;

        Console.WriteLine("| detector | cold fit s (first in process) | fit s | score s (100k) | scored rows/s | ROC AUC |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var (name, (fit, score, auc)) in ours)
        {
            Console.WriteLine(string.Create(inv, $"| {name} | {coldFits[name]:F3} | {fit:F3} | {score:F3} | {rows / score:N0} | {auc:F4} |"));
        }

        Console.WriteLine();
        Console.WriteLine(string.Create(inv, $"NED batched scoring, one thread, {nedBatches} x {rows} rows: {vectorsPerSecond:N0} vectors/s, {allocated} bytes allocated on the scoring thread"));

        Console.WriteLine($"# load average after our detectors: {LoadAverage()}");
        if (args.Contains("--no-sklearn")) return 0;

        // Like with like: every detector of ours fits and scores on one thread. scikit-learn's IsolationForest is
        // single-threaded by default (n_jobs=None) but KMeans (OpenMP) and PCA (OpenBLAS) use every core, so it runs
        // twice: pinned to one thread, and with its defaults.
        foreach (var singleThread in new[] { true, false })
        {
            var sklearn = await RunSklearnAsync(train, test, labels, singleThread, repeats, ct);
            if (sklearn is null) return 1;

            Console.WriteLine();
            Console.WriteLine($"scikit-learn {sklearn.RootElement.GetProperty("sklearn").GetString()} on identical data (same run, /usr/bin/python3), " +
                (singleThread ? "OMP/OPENBLAS/MKL_NUM_THREADS=1 (one thread, like ours):" : $"default threads ({Environment.ProcessorCount} cores for KMeans and PCA):"));
            Console.WriteLine();
            Console.WriteLine("| model | ours AUC | sklearn AUC | AUC diff | ours fit s | sklearn fit s | fit speed-up | ours score s | sklearn score s | score speed-up |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
            foreach (var name in new[] { "isolation_forest", "pca", "kmeans" })
            {
                var theirs = sklearn.RootElement.GetProperty(name);
                var (fit, score, auc) = ours[name];
                var sFit = theirs.GetProperty("fit_s").GetDouble();
                var sScore = theirs.GetProperty("score_s").GetDouble();
                var sAuc = theirs.GetProperty("auc").GetDouble();
                Console.WriteLine(string.Create(inv, $"| {name} | {auc:F4} | {sAuc:F4} | {auc - sAuc:+0.0000;-0.0000;0.0000} | {fit:F3} | {sFit:F3} | {sFit / fit:F2}x | {score:F3} | {sScore:F3} | {sScore / score:F2}x |"));
            }

            Console.WriteLine();
            Console.WriteLine($"scikit-learn KMeans (algorithm='lloyd', n_init={Restarts}, max_iter=100, tol=1e-4): {sklearn.RootElement.GetProperty("kmeans").GetProperty("n_iter").GetInt32()} iterations in the kept restart");
        }

        Console.WriteLine();
        Console.WriteLine($"# load average at end: {LoadAverage()}");
        return 0;
    }

    private static async Task<JsonDocument?> RunSklearnAsync(FeatureMatrix train, FeatureMatrix test, bool[] labels, bool singleThread, int repeats, CancellationToken ct)
    {
        const string python = "/usr/bin/python3";
        var script = FindScript();
        if (!File.Exists(python) || script is null)
        {
            Console.Error.WriteLine($"scikit-learn comparison skipped: needs {python} with python3-sklearn (apt-get install -y python3-sklearn) and sklearn_compare.py (found: {script ?? "none"}).");
            return null;
        }

        var dir = Directory.CreateTempSubdirectory("detection-speed-");
        try
        {
            var trainPath = Path.Combine(dir.FullName, "train.f32");
            var testPath = Path.Combine(dir.FullName, "test.f32");
            var labelsPath = Path.Combine(dir.FullName, "labels.u8");
            await File.WriteAllBytesAsync(trainPath, MemoryMarshal.AsBytes(train.Values).ToArray(), ct);
            await File.WriteAllBytesAsync(testPath, MemoryMarshal.AsBytes(test.Values).ToArray(), ct);
            await File.WriteAllBytesAsync(labelsPath, labels.Select(l => l ? (byte)1 : (byte)0).ToArray(), ct);
            var start = new ProcessStartInfo(python)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            if (singleThread)
            {
                foreach (var variable in new[] { "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS" }) start.Environment[variable] = "1";
            }

            foreach (var a in new[] { script, trainPath, testPath, labelsPath, train.Rows.ToString(CultureInfo.InvariantCulture), train.Columns.ToString(CultureInfo.InvariantCulture), Trees.ToString(CultureInfo.InvariantCulture), Clusters.ToString(CultureInfo.InvariantCulture), Restarts.ToString(CultureInfo.InvariantCulture), repeats.ToString(CultureInfo.InvariantCulture) })
            {
                start.ArgumentList.Add(a);
            }

            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            var stderr = process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            if (process.ExitCode != 0)
            {
                Console.Error.WriteLine($"sklearn_compare.py failed ({process.ExitCode}): {await stderr}");
                Console.Error.WriteLine("If scikit-learn is missing: apt-get install -y python3-sklearn");
                return null;
            }

            return JsonDocument.Parse((await stdout).Trim().Split('\n')[^1]);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    // The 1/5/15-minute load averages (Linux), so a reader can judge how busy the shared machine was.
    private static string LoadAverage()
    {
        const string path = "/proc/loadavg";
        return File.Exists(path) ? string.Join(' ', File.ReadAllText(path).Split(' ').Take(3)) : "unknown";
    }

    private static string? FindScript()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "bench", "Pipeline.Bench", "Detection", "sklearn_compare.py");
            if (File.Exists(candidate)) return candidate;
        }

        var local = Path.Combine(Directory.GetCurrentDirectory(), "bench", "Pipeline.Bench", "Detection", "sklearn_compare.py");
        return File.Exists(local) ? local : null;
    }

    // Rows from 4 latent factors with seeded random loadings plus noise; anomalies shift a few features against the
    // correlation structure (and a third of them also scale the whole row).
    private static (FeatureMatrix Data, bool[] Labels) LatentData(int rows, int cols, int seed, double anomalyShare)
    {
        var loadings = new Random(1234); // the same structure for train and test
        var factors = 4;
        var w = new double[factors * cols];
        for (var i = 0; i < w.Length; i++) w[i] = Gaussian.Next(loadings);
        var random = new Random(seed);
        var values = new float[rows * cols];
        var labels = new bool[rows];
        var latent = new double[factors];
        for (var r = 0; r < rows; r++)
        {
            for (var f = 0; f < factors; f++) latent[f] = Gaussian.Next(random);
            var anomaly = random.NextDouble() < anomalyShare;
            labels[r] = anomaly;
            var scale = anomaly && random.NextDouble() < 0.33 ? 2.0 : 1.0;
            for (var c = 0; c < cols; c++)
            {
                double v = 0;
                for (var f = 0; f < factors; f++) v += w[(f * cols) + c] * latent[f];
                v = (v * scale) + (0.3 * Gaussian.Next(random));
                values[(r * cols) + c] = (float)v;
            }

            if (anomaly)
            {
                for (var k = 0; k < 3; k++) values[(r * cols) + random.Next(cols)] += (float)((random.NextDouble() < 0.5 ? -1 : 1) * (1 + (2 * random.NextDouble())));
            }
        }

        return (new FeatureMatrix(values, rows, cols), labels);
    }
}
