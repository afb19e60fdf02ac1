# One image for every platform service: `docker run <image> <pipeline subcommand ...>`.
# Build:  docker build -t pipeline .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# npm fetches Fabric's .proto sources (ledger/fabric-protos, pinned by integrity hash) during the build.
RUN apt-get update && apt-get install -y --no-install-recommends npm && rm -rf /var/lib/apt/lists/*
COPY . .
RUN dotnet publish cli/Pipeline.Cli/Pipeline.Cli.csproj -c Release -o /app

# ASP.NET runtime (not plain dotnet/runtime): the dashboard references Microsoft.AspNetCore.App.
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app .
ENV DOTNET_gcServer=0
# The services run for hours. In a container limited to one CPU the runtime sees one processor and
# waits 10 x 100 ms without a new method before promoting tier-0 code, so a processor's hot path can
# stay unoptimised for a whole run (docs/benchmarks-processing.md, "Tiered compilation on one core").
# Starting call counting at once costs 20-40 ms per process start (measured on the CLI's --help).
ENV DOTNET_TC_CallCountingDelayMs=0
ENTRYPOINT ["dotnet", "/app/pipeline.dll"]
CMD ["--help"]
