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
ENTRYPOINT ["dotnet", "/app/pipeline.dll"]
CMD ["--help"]
