using System.Security.Cryptography;
using Pipeline.Contracts;
using Pipeline.Detection;

namespace Pipeline.Federation.Tests;

/// <summary>
/// Turns an honest signed NED update into a Byzantine one: decode the vector against the base model, rewrite the
/// difference (×100, or −100×), encode it the same way and sign it again with the participant's registered key, so the
/// coordinator's integrity checks pass and only the aggregation strategy stands between the attack and the model.
/// </summary>
/// <remarks>The bootstrap round (no base model) is left honest: an update is defined as a difference to a base.</remarks>
internal static class UpdatePoisoner
{
    public static ModelUpdate Apply(ModelUpdate honest, ModelBundle? baseBundle, ECDsa key, Attack attack)
    {
        if (attack == Attack.None || baseBundle?.Detector is not NedDetector baseNed) return honest;
        var baseVector = NedParameters.Flatten(baseNed);
        var compression = ParameterCodec.Parse(honest.Compression);
        var payload = UpdatePayload.Decode(honest.Parameters, compression, baseVector);
        var factor = attack == Attack.Scaled ? 100f : -100f;
        var poisoned = new float[baseVector.Length];
        for (var i = 0; i < poisoned.Length; i++) poisoned[i] = baseVector[i] + (factor * (payload.Vector![i] - baseVector[i]));
        var model = NedParameters.FromVector(payload.LayerSizes!, payload.Activation, poisoned, baseNed.Threshold, honest.SampleCount);
        var bytes = UpdatePayload.ForNed(model, payload.Standardizer).Encode(compression, baseVector);
        return UpdateSigner.Sign(honest with { Parameters = bytes, Signature = [] }, key);
    }
}
