using System.Collections.Concurrent;

namespace Pipeline.Processing.Scoring;

/// <summary>The current model per catalogue input topic. A newer version replaces the old one with
/// a single reference store, so a batch sees either the old or the new model, never a mix.</summary>
/// <remarks>Thread-safe: the model follower offers, the processing loop resolves.</remarks>
public sealed class ModelRegistry
{
    private readonly ConcurrentDictionary<string, IScoringModel> _models = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Models in use, by key.</summary>
    public IReadOnlyDictionary<string, IScoringModel> Current => _models;

    /// <summary>Installs <paramref name="model"/> if no model with its key exists or its version is newer.</summary>
    /// <returns>True when the model was installed.</returns>
    public bool Offer(IScoringModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var installed = false;
        _models.AddOrUpdate(
            model.Key,
            _ => { installed = true; return model; },
            (_, existing) =>
            {
                installed = model.Version > existing.Version;
                return installed ? model : existing;
            });
        if (installed)
        {
            TaskCompletionSource changed;
            lock (_gate)
            {
                changed = _changed;
                _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            changed.TrySetResult();
        }
        return installed;
    }

    /// <summary>The model for a catalogue topic, or null.</summary>
    public IScoringModel? Resolve(string catalogueTopic) => _models.GetValueOrDefault(catalogueTopic);

    /// <summary>Version in use for a catalogue topic, or null.</summary>
    public long? VersionOf(string catalogueTopic) => Resolve(catalogueTopic)?.Version;

    /// <summary>Completes when every key in <paramref name="keys"/> has a model.</summary>
    public async Task WaitForAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                changed = _changed.Task;
            }
            if (keys.All(_models.ContainsKey))
            {
                return;
            }
            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
