# A minimal image for the compiled binary: build it first (npm install && npm run build).
# distroless/cc has the C runtime the binary links against, and nothing else.
FROM gcr.io/distroless/cc-debian12
COPY dist/lmlb /lmlb
WORKDIR /app
EXPOSE 8082
# Mount or COPY a .env into /app, or pass variables with -e.
ENTRYPOINT ["/lmlb", "--host", "0.0.0.0"]
