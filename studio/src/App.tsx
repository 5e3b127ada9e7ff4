export function App() {
  return <h1>rataura2 Studio</h1>;
}
