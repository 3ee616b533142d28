import { Link } from 'react-router';

export function NotFoundPage() {
  return (
    <section>
      <h1>Not found</h1>
      <p>
        Nothing lives at this address. Back to <Link to="/models">models</Link>.
      </p>
    </section>
  );
}
