// P08's sample Lambda API: GET /hello
const VERSION = "1";

exports.handler = async () => ({
  statusCode: 200,
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify({ message: "Hello from " + process.env.ENVIRONMENT, version: VERSION }),
});
