using Pipeline.Contracts;

namespace Pipeline.Detection;

/// <summary>
/// Features of <see cref="TransactionEvent"/>s with context per sending account (cluster/from-account):
/// <c>log_amount</c> (log10(amount + 1e-8): dust and normal payments differ by orders of magnitude), <c>log_fee</c>
/// (log10(fee + 1e-8)), <c>log_fee_rate</c> (log10 of the fee per byte), <c>size</c> (kB), <c>inputs</c>, <c>outputs</c>,
/// <c>log_payload</c>, <c>payload_share</c> (payload bytes / size: hidden payloads), <c>log_dt</c> (sign · log10(1 + |seconds|) since the
/// account's previous transaction), <c>rate</c> (transactions per second over the account's last w: flooding),
/// <c>nonce_gap</c> (nonce minus previous nonce; 0 or negative when a nonce is reused), <c>nonce_reuse</c> (1 when this
/// nonce was already spent by a different transaction in the window: double-spend), <c>amount_dev</c> (log amount minus
/// its rolling mean), <c>amount_std</c> (rolling std of log amount), <c>self</c> (1 when sender = receiver),
/// <c>history</c> (min(n, w)/w).
/// </summary>
public sealed class TransactionFeaturizer : IFeaturizer<TransactionEvent>
{
    private static readonly string[] Names =
    [
        "log_amount", "log_fee", "log_fee_rate", "size", "inputs", "outputs", "log_payload", "payload_share",
        "log_dt", "rate", "nonce_gap", "nonce_reuse", "amount_dev", "amount_std", "self", "history",
    ];

    private readonly FeaturizerOptions _options;
    private readonly LruCache<AccountState> _accounts;

    /// <summary>Creates the featurizer.</summary>
    public TransactionFeaturizer(FeaturizerOptions? options = null)
    {
        _options = options ?? new FeaturizerOptions();
        _options.Validate();
        _accounts = new LruCache<AccountState>(_options.MaxEntities);
    }

    /// <inheritdoc />
    public int Dimension => Names.Length;

    /// <inheritdoc />
    public IReadOnlyList<string> FeatureNames => Names;

    /// <inheritdoc />
    public int TrackedEntities => _accounts.Count;

    /// <inheritdoc />
    public void Featurize(TransactionEvent @event, Span<float> features)
    {
        ArgumentNullException.ThrowIfNull(@event);
        if (features.Length != Dimension) throw new ArgumentException($"Expected {Dimension} features, got a span of {features.Length}.", nameof(features));

        var state = _accounts.GetOrAdd(string.Concat(@event.ClusterId, "/", @event.FromAccount), () => new AccountState(_options.Window), out _);
        var warm = state.History.Seen > 0;
        var logAmount = (float)Math.Log10(Math.Max(0, @event.Amount) + 1e-8);
        var size = Math.Max(1, @event.SizeBytes);
        features[0] = logAmount;
        features[1] = (float)Math.Log10(Math.Max(0, @event.Fee) + 1e-8);
        features[2] = (float)Math.Log10((Math.Max(0, @event.Fee) / size) + 1e-12);
        features[3] = size / 1000f;
        features[4] = @event.InputCount;
        features[5] = @event.OutputCount;
        features[6] = (float)Math.Log(1 + Math.Max(0, @event.PayloadBytes));
        features[7] = Math.Max(0, @event.PayloadBytes) / (float)size;
        features[8] = warm ? SignalHistory.SignedLog((@event.Timestamp - state.History.LastTimestamp).TotalSeconds) : 0;
        features[9] = state.Rate(@event.Timestamp);
        features[10] = warm ? @event.AccountNonce - state.History.LastSequence : 0;
        features[11] = state.NonceReused(@event.AccountNonce, @event.TransactionId) ? 1 : 0;
        features[12] = warm ? logAmount - state.History.Mean(0) : 0;
        features[13] = state.History.Std(0);
        features[14] = string.Equals(@event.FromAccount, @event.ToAccount, StringComparison.Ordinal) ? 1 : 0;
        features[15] = state.History.Filled / (float)_options.Window;

        state.History.Push([logAmount], @event.Timestamp, @event.AccountNonce, _options.BaselineAlpha);
        state.Remember(@event.AccountNonce, @event.TransactionId, @event.Timestamp);
    }

    private sealed class AccountState(int window)
    {
        private readonly long[] _nonces = new long[window];
        private readonly string[] _transactions = new string[window];
        private readonly DateTimeOffset[] _times = new DateTimeOffset[window];
        private int _next;
        private int _count;

        public SignalHistory History { get; } = new(1, window);

        public bool NonceReused(long nonce, string transactionId)
        {
            for (var i = 0; i < _count; i++)
            {
                if (_nonces[i] == nonce && !string.Equals(_transactions[i], transactionId, StringComparison.Ordinal)) return true;
            }

            return false;
        }

        // Transactions per second over the remembered window including this one; 0 until two are known.
        public float Rate(DateTimeOffset now)
        {
            if (_count == 0) return 0;
            var oldest = _count < _times.Length ? _times[0] : _times[_next];
            var span = (now - oldest).TotalSeconds;
            return span > 0 ? (float)(_count / span) : _count;
        }

        public void Remember(long nonce, string transactionId, DateTimeOffset time)
        {
            _nonces[_next] = nonce;
            _transactions[_next] = transactionId;
            _times[_next] = time;
            _next = (_next + 1) % _nonces.Length;
            if (_count < _nonces.Length) _count++;
        }
    }
}
