using Grpc.Core;
using Grpc.Core.Interceptors;
using Pipeline.Processing.Whitelist;

namespace Pipeline.Processing.Tests;

/// <summary>The client-side load of an external peer: in-flight unary calls over Slots.</summary>
public sealed class ClientSidePeerLoadUnitTests
{
    private static readonly Method<string, string> Evaluate =
        new(MethodType.Unary, "gateway.Gateway", "Evaluate", Marshallers.StringMarshaller, Marshallers.StringMarshaller);

    [Fact]
    public async Task ReadLoad_CallsInFlight_IsInFlightOverSlotsUntilEachCompletes()
    {
        var load = new ClientSidePeerLoad(slots: 4);
        var first = new TaskCompletionSource<string>();
        var second = new TaskCompletionSource<string>();

        var callOne = Start(load, first);
        var callTwo = Start(load, second);
        var busy = load.ReadLoad();
        first.SetResult("ok");
        Assert.Equal("ok", await callOne.ResponseAsync);
        var afterOne = load.ReadLoad();
        second.SetException(new RpcException(new Status(StatusCode.Unavailable, "peer gone")));
        await Assert.ThrowsAsync<RpcException>(() => callTwo.ResponseAsync);

        Assert.Equal((50.0, 0.0, 2), (busy.CpuPercent, busy.RamPercent, busy.InFlight));
        Assert.Equal((25.0, 1), (afterOne.CpuPercent, afterOne.InFlight));
        Assert.Equal((0.0, 0), (load.ReadLoad().CpuPercent, load.InFlight));
    }

    [Fact]
    public void ReadLoad_MoreCallsThanSlots_IsCappedAtHundred()
    {
        var load = new ClientSidePeerLoad(slots: 1);
        var pending = new TaskCompletionSource<string>();

        for (var i = 0; i < 3; i++)
        {
            Start(load, pending);
        }

        Assert.Equal((100.0, 3), (load.ReadLoad().CpuPercent, load.ReadLoad().InFlight));
    }

    [Fact]
    public void AsyncUnaryCall_ContinuationThrows_DoesNotCountTheCall()
    {
        var load = new ClientSidePeerLoad(slots: 2);

        Assert.Throws<InvalidOperationException>(() => load.AsyncUnaryCall("q", Context(), (_, _) => throw new InvalidOperationException("no connection")));

        Assert.Equal(0, load.InFlight);
    }

    [Fact]
    public void Constructor_ZeroSlots_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new ClientSidePeerLoad(0));

    private static AsyncUnaryCall<string> Start(Interceptor load, TaskCompletionSource<string> response) =>
        load.AsyncUnaryCall("q", Context(), (_, _) => new AsyncUnaryCall<string>(
            response.Task, Task.FromResult(new Metadata()), () => Status.DefaultSuccess, () => [], () => { }));

    private static ClientInterceptorContext<string, string> Context() => new(Evaluate, null, new CallOptions());
}
